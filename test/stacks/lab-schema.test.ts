/**
 * Every lab-file rule with the exact one-line message a user sees (the schema's types, ranges and
 * unknown keys; the cross-field rules; the image rules), the README table and lab.schema.json in step
 * with the schema, and the synth preflight for a missing local service image tarball.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT } from '../../lib/exit';
import { DEFAULT_LAB, LabConfigError, resolveLab, type LabOverrides } from '../../stacks/lab';
import { closestKey, labJsonSchema } from '../../stacks/lab-schema';
import { checkServiceImageTarball } from '../../stacks/preflight';
import { REPO_ROOT } from './helpers';

function messageFor(context: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolveLab({ context: context as LabOverrides, env });
  } catch (e) {
    expect(e).toBeInstanceOf(LabConfigError);
    expect((e as LabConfigError).exitCode).toBe(EXIT.usage);
    return (e as LabConfigError).message;
  }
  throw new Error(`expected a LabConfigError for ${JSON.stringify(context)}`);
}

const [m0, w1] = DEFAULT_LAB.nodes;

const cases: Array<[string, unknown, string]> = [
  // unknown keys, with a suggestion when one is close
  ['misspelt top-level key', { dockerVerison: '24.0.7' }, 'dockerVerison: unknown key; did you mean dockerVersion?'],
  ['misspelt nested key', { service: { replica: 5 } }, 'service.replica: unknown key; did you mean service.replicas?'],
  ['misspelt object key', { netwrok: {} }, 'netwrok: unknown key; did you mean network?'],
  [
    'misspelt node key',
    { nodes: [{ ...m0, rol: 'manager' }] },
    'nodes[0].rol: unknown key; did you mean nodes[0].role?',
  ],
  [
    'unknown key, nothing close',
    { foo: 1 },
    'foo: unknown key; known: name, libvirtUri, domainType, network, nodes, vcpu, memoryMiB, diskGiB, image, dockerVersion, dockerFirewallBackend, dataPathPort, firewall, service, paths, pool, labDir',
  ],
  // types and ranges
  [
    'object expected',
    { service: 5 },
    'service: 5 is not a mapping; expected keys name, replicas, publishedPort, targetPort, image, overlayNetwork, overlaySubnet, imageTarball',
  ],
  ['list expected', { nodes: 'x' }, 'nodes: "x" is not a list of nodes'],
  ['no nodes', { nodes: [] }, 'nodes: need 1-16 nodes, got 0'],
  ['integer expected', { vcpu: 'two' }, 'vcpu: "two" is not an integer; allowed 1-64'],
  ['fraction', { vcpu: 1.5 }, 'vcpu: 1.5 is not an integer; allowed 1-64'],
  ['memory too small', { memoryMiB: 100 }, 'memoryMiB: 100 is out of range; allowed integer 512-262144'],
  [
    'published port out of range',
    { service: { publishedPort: 70000 } },
    'service.publishedPort: 70000 is not a port; allowed 1-65535',
  ],
  ['data path port below Docker range', { dataPathPort: 80 }, 'dataPathPort: 80 is not a port; allowed 1024-49151'],
  ['bad lab name', { name: 'Bad_Name' }, `name: "Bad_Name" must be 2-40 chars of a-z, 0-9, '-' starting with a letter`],
  ['bad libvirt URI', { libvirtUri: 'http://x' }, 'libvirtUri: "http://x" is not a libvirt URI (e.g. qemu:///system)'],
  ['bad firewall mode', { firewall: 'on' }, 'firewall: "on" is not allowed; use off or open-ports'],
  ['bad role', { nodes: [{ ...m0, role: 'boss' }] }, 'nodes[0].role: "boss" is not allowed; use manager or worker'],
  [
    'bad CIDR prefix',
    { network: { cidr: '10.211.55.0/31' } },
    'network.cidr: "10.211.55.0/31" is not an IPv4 CIDR with prefix /8-/30',
  ],
  ['bad address', { nodes: [{ ...m0, ip: '300.1.1.1' }] }, 'nodes[0].ip: "300.1.1.1" is not an IPv4 address'],
  ['empty service image', { service: { image: '' } }, 'service.image: must not be empty'],
  [
    'unknown image',
    { image: 'centos6' },
    'image: unknown image "centos6"; known: debian, centos7.9, debian11-docker20, debian12-docker20, debian12-docker25, debian13-docker26, debian12-docker27, debiansid-docker28, debian12-docker29',
  ],
  // ports: distinct from the swarm's own and from each other
  [
    'published = control port',
    { service: { publishedPort: 2377 } },
    "service.publishedPort: 2377 is the swarm's control port (2377/tcp); pick another port",
  ],
  [
    'published = gossip port',
    { service: { publishedPort: 7946 } },
    "service.publishedPort: 7946 is the swarm's gossip port (7946/tcp+udp); pick another port",
  ],
  [
    'published = SSH',
    { service: { publishedPort: 22 } },
    "service.publishedPort: 22 is the nodes' SSH port (verify and Ansible use it); pick another port",
  ],
  [
    'data path = gossip port',
    { dataPathPort: 7946 },
    "dataPathPort: 7946 is the swarm's gossip port (7946/tcp+udp); pick another port",
  ],
  [
    'data path = control port',
    { dataPathPort: 2377 },
    "dataPathPort: 2377 is the swarm's control port (2377/tcp); pick another port",
  ],
  [
    'published = data path port',
    { service: { publishedPort: 4789 } },
    'service.publishedPort: 4789 is also dataPathPort (VXLAN); pick another port for one of them',
  ],
  // addresses and names
  [
    'gateway outside',
    { network: { gateway: '10.1.1.1' } },
    'network.gateway: 10.1.1.1 is not a host address in 10.211.55.0/24',
  ],
  [
    'client outside',
    { network: { clientIp: '10.211.54.2' } },
    'network.clientIp: 10.211.54.2 is not a host address in 10.211.55.0/24',
  ],
  [
    'client = gateway',
    { network: { clientIp: '10.211.55.1' } },
    'network.clientIp: 10.211.55.1 is also network.gateway; pick another host address',
  ],
  [
    'node outside',
    { nodes: [{ ...m0, ip: '10.211.56.10' }] },
    'nodes[0].ip: 10.211.56.10 (centos7-10) is not a host address in 10.211.55.0/24',
  ],
  ['duplicate name', { nodes: [m0, { ...w1, name: m0.name }] }, 'nodes[1].name: "centos7-10" is used twice'],
  [
    'duplicate address',
    { nodes: [m0, { ...w1, ip: m0.ip }] },
    'nodes[1].ip: 10.211.55.10 is already used by centos7-10',
  ],
  [
    'node = client address',
    { nodes: [{ ...m0, ip: '10.211.55.2' }] },
    'nodes[0].ip: 10.211.55.2 collides with the network gateway or client address',
  ],
  ['no manager', { nodes: [{ ...m0, role: 'worker' }] }, 'nodes: no node has role manager; need at least one'],
  [
    'overlay overlaps the lab network',
    { service: { overlaySubnet: '10.211.55.128/25' } },
    'service.overlaySubnet: 10.211.55.128/25 overlaps network.cidr 10.211.55.0/24; pick a disjoint subnet',
  ],
  [
    'overlay overlaps ingress',
    { service: { overlaySubnet: '10.0.0.0/16' } },
    "service.overlaySubnet: 10.0.0.0/16 overlaps Docker's ingress network 10.0.0.0/24; pick a disjoint subnet",
  ],
  [
    'tarball without a local image',
    { service: { imageTarball: 'x.tar' } },
    'service.imageTarball: set, but service.image "nginx:1.25-alpine" is not local:<name>; remove imageTarball or use a local: image',
  ],
  // image-specific Docker versions
  [
    'above the last el7 release',
    { dockerVersion: '26.1.5' },
    'dockerVersion: 26.1.5 is not available on image centos7.9: el7 docker-ce has 18.09.0 to 26.1.4; nearest: 26.1.4',
  ],
  [
    'below the first el7 release with a CLI package',
    { dockerVersion: '18.06.3' },
    'dockerVersion: 18.06.3 is not available on image centos7.9: el7 docker-ce has 18.09.0 to 26.1.4; nearest: 18.09.0',
  ],
  [
    'offline image carries one version',
    { image: 'debian12-docker20', dockerVersion: '24.0.7' },
    "dockerVersion: 24.0.7 is not available on image debian12-docker20: no offline image carries Docker 24.0.7; flavours exist for 20.10.5, 20.10.24, 25.0.5, 26.1.5, 27.5.1, 28.5.2, 29.8.0. Add one: e2e/engine/pin.sh 24.0.7 (source build) and e2e/images/flavours/<name>.conf with SUITE, DOCKER_VERSION=24.0.7, ENGINE=24.0.7; or use image centos7.9 (docker-ce from Docker's repo)",
  ],
  // Docker's own firewall backend (not firewalld's `firewall`)
  [
    'unknown Docker firewall backend',
    { dockerFirewallBackend: 'ipfw' },
    'dockerFirewallBackend: "ipfw" is not allowed; use iptables or nftables',
  ],
  [
    'nftables on the CentOS image (el7 docker-ce stops at 26.1.4)',
    { dockerFirewallBackend: 'nftables' },
    'dockerFirewallBackend: nftables needs Docker 29.6.0 or later for a Swarm (features.swarm-nftables), dockerVersion is 24.0.7; use dockerFirewallBackend iptables, or image debian12-docker29 (Docker 29.8.0)',
  ],
  [
    'nftables on an offline image with an older engine',
    { image: 'debiansid-docker28', dockerFirewallBackend: 'nftables' },
    'dockerFirewallBackend: nftables needs Docker 29.6.0 or later for a Swarm (features.swarm-nftables), dockerVersion is 28.5.2; use dockerFirewallBackend iptables, or image debian12-docker29 (Docker 29.8.0)',
  ],
  [
    'a version the image lacks is named before the backend',
    { image: 'debian12-docker20', dockerVersion: '29.8.0', dockerFirewallBackend: 'nftables' },
    'dockerVersion: 29.8.0 is not available on image debian12-docker20: the offline image carries Docker 20.10.24 only; use image debian12-docker29 (or "debian")',
  ],
  [
    'malformed version',
    { dockerVersion: '24.0' },
    'dockerVersion: "24.0" is malformed; expected MAJOR.MINOR.PATCH, e.g. 24.0.7',
  ],
];

describe('lab file rules: exact one-line messages, exit 3', () => {
  test.each(cases)('%s', (_what, context, message) => {
    expect(messageFor(context)).toBe(`lab config: ${message}`);
  });

  test('env values go through the same schema', () => {
    expect(messageFor(undefined, { SWARM_LAB_REPLICAS: 'three' })).toBe(
      'lab config: service.replicas: "three" is not an integer; allowed 1-100',
    );
    expect(messageFor(undefined, { SWARM_LAB_IMAGE: 'centos8' })).toMatch(
      /^lab config: image: unknown image "centos8"/,
    );
    const lab = resolveLab({ env: { SWARM_LAB_VCPU: '2', SWARM_LAB_NETWORK_MODE: 'nat' } });
    expect([lab.vcpu, lab.network.mode]).toEqual([2, 'nat']);
  });

  test('a lab file with a misspelt key is refused, naming the key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-schema-'));
    try {
      const file = path.join(dir, 'lab.yml');
      fs.writeFileSync(file, 'service:\n  replica: 5\n');
      expect(() => resolveLab({ file, env: {} })).toThrow(
        'lab config: service.replica: unknown key; did you mean service.replicas?',
      );
      fs.writeFileSync(file, '- a\n- b\n');
      expect(() => resolveLab({ file, env: {} })).toThrow(
        `lab config: labFile: ${file} must hold a mapping of lab fields, not ["a","b"]`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every el7 version up to 26.1.4 and each offline image version are accepted', () => {
    for (const v of ['18.09.0', '20.10.24', '23.0.6', '24.0.9', '25.0.5', '26.1.4'])
      expect(resolveLab({ context: { dockerVersion: v }, env: {} }).dockerVersion).toBe(v);
    expect(resolveLab({ context: { image: 'debiansid-docker28' }, env: {} }).dockerVersion).toBe('28.5.2');
  });

  test('nftables is accepted where the engine lets it form a Swarm, also through the env and image "debian"', () => {
    const onImage = resolveLab({ context: { image: 'debian12-docker29', dockerFirewallBackend: 'nftables' }, env: {} });
    expect([onImage.dockerVersion, onImage.dockerFirewallBackend]).toEqual(['29.8.0', 'nftables']);
    const byVersion = resolveLab({
      context: { image: 'debian', dockerVersion: '29.8.0' },
      env: { SWARM_LAB_DOCKER_FIREWALL_BACKEND: 'nftables' },
    });
    expect([byVersion.image, byVersion.dockerFirewallBackend]).toEqual(['debian12-docker29', 'nftables']);
    expect(DEFAULT_LAB.dockerFirewallBackend).toBe('iptables');
  });

  test('suggestions stay close', () => {
    expect(closestKey('replica', ['name', 'replicas'])).toBe('replicas');
    expect(closestKey('foo', ['pool', 'name'])).toBeUndefined();
  });
});

describe('generated from the schema', () => {
  const genCheck = (root: string) =>
    spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'tools/gen-lab-docs.ts', '--check', '--root', root],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    );

  test('README configuration table and lab.schema.json are up to date (npm run gen:lab-docs)', () => {
    const r = genCheck(REPO_ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('a README whose table drifted fails the check with one line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-gendocs-'));
    try {
      for (const f of ['README.md', 'lab.schema.json', '.prettierrc.json'])
        fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
      const readme = path.join(dir, 'README.md');
      fs.writeFileSync(readme, fs.readFileSync(readme, 'utf8').replace('SWARM_LAB_REPLICAS', 'SWARM_LAB_REPLICA'));
      const r = genCheck(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('gen-lab-docs: README.md drifted from stacks/lab-schema.ts; run npm run gen:lab-docs\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('JSON Schema rejects unknown keys and lists the images', () => {
    const s = labJsonSchema() as { additionalProperties: boolean; properties: Record<string, { enum?: string[] }> };
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.image.enum).toEqual([
      'debian',
      'centos7.9',
      'debian11-docker20',
      'debian12-docker20',
      'debian12-docker25',
      'debian13-docker26',
      'debian12-docker27',
      'debiansid-docker28',
      'debian12-docker29',
    ]);
  });
});

describe('synth preflight: files the lab points at', () => {
  test('a local service image whose tarball does not exist', () => {
    const lab = resolveLab({
      context: { service: { image: 'local:web', imageTarball: '/nonexistent/web.tar' } },
      env: {},
    });
    expect(() => checkServiceImageTarball(lab, REPO_ROOT)).toThrow(
      'lab config: service.imageTarball: /nonexistent/web.tar does not exist (service.image local:web); build it (bash e2e/images/build.sh) or set service.imageTarball',
    );
  });
});
