import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_LAB, LabConfigError, needsClient, resolveLab, type LabOverrides } from '../../stacks/lab';

/** Resolve with only the given context overrides (no env, no lab file). */
function resolveWith(context: unknown, env: NodeJS.ProcessEnv = {}) {
  return resolveLab({ context: context as LabOverrides, env });
}

/** The error resolveLab throws for `context`, asserted to be one line naming `field`. */
function errorFor(context: unknown, env: NodeJS.ProcessEnv = {}): LabConfigError {
  try {
    resolveWith(context, env);
  } catch (e) {
    expect(e).toBeInstanceOf(LabConfigError);
    const err = e as LabConfigError;
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error(`expected a LabConfigError for ${JSON.stringify(context)}`);
}

const seedNodes = DEFAULT_LAB.nodes;

describe('lab model defaults', () => {
  test('reproduce the seed lab (packet-path.md)', () => {
    const lab = resolveWith(undefined);
    expect(lab.nodes).toEqual([
      { name: 'centos7-10', ip: '10.211.55.10', role: 'manager' },
      { name: 'centos7-18', ip: '10.211.55.18', role: 'worker' },
      { name: 'centos7-22', ip: '10.211.55.22', role: 'worker' },
    ]);
    expect(lab.network).toMatchObject({
      cidr: '10.211.55.0/24',
      gateway: '10.211.55.1',
      nic: 'enp0s5',
      clientIp: '10.211.55.2',
    });
    expect(lab.image).toBe('centos7.9');
    expect(lab.dockerVersion).toBe('24.0.7');
    expect(lab.service).toMatchObject({ name: 'my-nginx', replicas: 3, publishedPort: 9090, targetPort: 80 });
    expect(lab.dataPathPort).toBe(4789);
  });

  test('a Debian lab image sets the Docker version it carries; another version names the image that has it', () => {
    expect(resolveWith({ image: 'debian13-docker26' }).dockerVersion).toBe('26.1.5');
    expect(resolveWith({ image: 'debian13-docker26', dockerVersion: '26.1.5' }).dockerVersion).toBe('26.1.5');
    expect(() => resolveWith({ image: 'debian13-docker26', dockerVersion: '25.0.5' })).toThrow(
      'lab config: dockerVersion: 25.0.5 is not available on image debian13-docker26: the offline image carries Docker 26.1.5 only; use image debian12-docker25 (or "debian")',
    );
  });

  test('image "debian": dockerVersion picks the offline flavour; a version without one gets one line', () => {
    expect(resolveWith({ image: 'debian', dockerVersion: '29.8.0' }).image).toBe('debian12-docker29');
    expect(resolveWith({ image: 'debian', dockerVersion: '20.10.5' }).image).toBe('debian11-docker20');
    let msg = '';
    try {
      resolveWith({ image: 'debian', dockerVersion: '24.0.7' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toMatch(
      /^lab config: dockerVersion: no offline image carries Docker 24\.0\.7; flavours exist for 20\.10\.5, 20\.10\.24, 25\.0\.5, 26\.1\.5, 27\.5\.1, 28\.5\.2, 29\.8\.0\. Add one: e2e\/engine\/pin\.sh 24\.0\.7/,
    );
  });

  test('precedence: defaults < lab file < context < env', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-labfile-'));
    try {
      const file = path.join(dir, 'lab.yml');
      fs.writeFileSync(file, 'name: from-file\nvcpu: 2\nmemoryMiB: 1024\n');
      const lab = resolveLab({ file, context: { vcpu: 3 }, env: { SWARM_LAB_MEMORY_MIB: '1536' } });
      expect(lab.name).toBe('from-file');
      expect(lab.network.name).toBe('from-file'); // derived names follow the lab name
      expect(lab.labDir).toBe(path.join('.lab', 'from-file'));
      expect(lab.vcpu).toBe(3);
      expect(lab.memoryMiB).toBe(1536);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lab model validation: one line naming the field', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    [
      'address outside the CIDR',
      { nodes: [{ ...seedNodes[0], ip: '10.211.56.10' }] },
      'nodes[0].ip',
      /not a host address in 10\.211\.55\.0\/24/,
    ],
    [
      'network address as node',
      { nodes: [{ ...seedNodes[0], ip: '10.211.55.0' }] },
      'nodes[0].ip',
      /not a host address/,
    ],
    [
      'duplicated address',
      { nodes: [seedNodes[0], { ...seedNodes[1], ip: '10.211.55.10' }] },
      'nodes[1].ip',
      /already used by centos7-10/,
    ],
    ['no manager', { nodes: seedNodes.map((n) => ({ ...n, role: 'worker' })) }, 'nodes', /no node has role manager/],
    ['published port out of range', { service: { publishedPort: 70000 } }, 'service.publishedPort', /allowed 1-65535/],
    ['target port 0', { service: { targetPort: 0 } }, 'service.targetPort', /allowed 1-65535/],
    ['data path port out of range', { dataPathPort: -1 }, 'dataPathPort', /allowed 1024-49151/],
    ['replicas < 1', { service: { replicas: 0 } }, 'service.replicas', /allowed integer 1-100/],
    [
      'unknown image',
      { image: 'centos6' },
      'image',
      /unknown image "centos6"; known: .*\bcentos7\.9\b.*\bdebian12-docker20\b/,
    ],
    ['malformed Docker version', { dockerVersion: '24.0' }, 'dockerVersion', /expected MAJOR\.MINOR\.PATCH/],
    ['CIDR not a CIDR', { network: { cidr: '10.211.55.0' } }, 'network.cidr', /not an IPv4 CIDR/],
    ['bad domain type', { domainType: 'xen' }, 'domainType', /use kvm, qemu or auto/],
    ['bad network mode', { network: { mode: 'bridge' } }, 'network.mode', /use isolated or nat/],
    ['no path', { paths: [] }, 'paths', /must name at least one path: ingress, service-vip/],
    ['unknown path', { paths: ['ingress', 'vip'] }, 'paths[1]', /"vip" is not allowed; use ingress, service-vip/],
    ['path twice', { paths: ['dns', 'dns'] }, 'paths', /a path is listed twice/],
  ];
  test.each(cases)('%s', (_what, context, field, detail) => {
    const err = errorFor(context);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(new RegExp(`^lab config: ${field.replace(/[[\].]/g, '\\$&')}: `));
    expect(err.message).toMatch(detail);
  });

  test('paths: ingress by default (the client paths are opt-in), a list from the lab file, the client service only when a path needs it', () => {
    expect(resolveWith(undefined).paths).toEqual(['ingress']);
    expect(needsClient(resolveWith(undefined))).toBe(false);
    const all = resolveWith({ paths: ['ingress', 'service-vip', 'task-to-task', 'dns', 'egress'] });
    expect(all.paths).toEqual(['ingress', 'service-vip', 'task-to-task', 'dns', 'egress']);
    expect(needsClient(all)).toBe(true);
    expect(needsClient(resolveWith({ paths: ['dns'] }))).toBe(true);
  });

  test('bad env values name the field', () => {
    expect(errorFor(undefined, { SWARM_LAB_REPLICAS: 'three' }).field).toBe('service.replicas');
    expect(errorFor(undefined, { SWARM_LAB_DOCKER_VERSION: 'latest' }).field).toBe('dockerVersion');
  });
});
