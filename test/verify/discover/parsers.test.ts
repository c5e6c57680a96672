/**
 * Discovery parsers on real command output: the seed's lab (Docker 24.0.7, CentOS 7.9) and
 * iproute2 6.1 output recorded here (test/fixtures/discovery/README.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  inspectErrorFor,
  matchNodeName,
  parseDockerInfo,
  parseNetworkInspect,
  parseNetworksInspect,
  parseNodeLs,
  parseServiceInspect,
  ParseError,
  sboxEndpoint,
  taskEndpoints,
} from '../../../verify/parse/docker';
import {
  ifaceInSubnet,
  ifaceWithAddress,
  parseIpAddr,
  parseVxlanLinks,
  pickDockerNetns,
} from '../../../verify/parse/iproute';
import { MissingToolError, parseToolProbe, requiredMissing, toolProbeCommand } from '../../../verify/parse/tools';
import { execFileSync } from 'child_process';

const fx = (f: string): string => fs.readFileSync(path.join(__dirname, '../../fixtures/discovery', f), 'utf8');

describe('docker node ls', () => {
  test('seed table: hostnames, leader, engine version, self', () => {
    const rows = parseNodeLs(fx('seed000-docker-node-ls.txt'));
    expect(rows.map((r) => [r.id, r.hostname, r.managerStatus, r.engineVersion, r.self])).toEqual([
      ['w92t66jii4jflz1vb0kotr0df', 'centos7-10.localdomain', 'Leader', '24.0.7', true],
      ['9p6kone8vdwkdne55svrj6k5n', 'centos7-18.localdomain', '', '24.0.7', false],
      ['x5y16qjbxuxv322to4hbiymik', 'centos7-22.localdomain', '', '24.0.7', false],
    ]);
    expect(rows.every((r) => r.status === 'Ready' && r.availability === 'Active')).toBe(true);
    expect(matchNodeName('centos7-18.localdomain', ['centos7-10', 'centos7-18'])).toBe('centos7-18');
    expect(matchNodeName('other', ['centos7-10'])).toBeUndefined();
  });
  test('garbage is refused with a reason', () => {
    expect(() => parseNodeLs('Error response from daemon: This node is not a swarm manager.')).toThrow(ParseError);
  });
});

describe('docker network inspect', () => {
  test('ingress: id, subnet, VNI, peers, local tasks and the sbox endpoint', () => {
    const n = parseNetworkInspect(fx('seed000-network-inspect-ingress.json'));
    expect(n.id).toBe('9j40lm9s5dtedg04r6jywqr1k');
    expect(n.subnet).toBe('10.0.0.0/24');
    expect(n.gateway).toBe('10.0.0.1');
    expect(n.vnis).toEqual([4096]);
    expect(n.peers.map((p) => p.ip)).toEqual(['10.211.55.10', '10.211.55.22', '10.211.55.18']);
    expect(sboxEndpoint(n)).toMatchObject({ ip: '10.0.0.2', prefix: 24, mac: '02:42:0a:00:00:02' });
    const tasks = taskEndpoints(n, 'my-nginx');
    expect(tasks).toEqual([
      {
        containerId: '86e2f87808941e12b5912ec5ee922dc48b04fbb4ce035189323eda51d4b74cac',
        service: 'my-nginx',
        slot: 1,
        taskId: 'q3gjmacbb0k0ay2ehi1uvz7dw',
        ip: '10.0.0.17',
        mac: '02:42:0a:00:00:11',
      },
      {
        containerId: '8593fe83b9259ace2cf6c1f0718c48c9206da0a657759676f7599014120d48e0',
        service: 'my-nginx',
        slot: 3,
        taskId: 's754p61l6729e117si904236b',
        ip: '10.0.0.16',
        mac: '02:42:0a:00:00:10',
      },
    ]);
    expect(taskEndpoints(n, 'other-service')).toEqual([]);
  });
  test("a global service's tasks are named by node id, not slot (the lab's client service)", () => {
    // Names as Docker gives a global service's containers: <service>.<node id>.<task id>.
    const n = parseNetworkInspect(fx('seed000-network-inspect-ingress.json'));
    const global = {
      ...n,
      endpoints: n.endpoints.map((e, i) =>
        i === 0 ? { ...e, name: 'my-nginx-client.ndk4xbk3nq1c2jdwg7e9o0m1s.q3gjmacbb0k0ay2ehi1uvz7dw' } : e,
      ),
    };
    const [t] = taskEndpoints(global, 'my-nginx-client');
    expect(t).toMatchObject({ service: 'my-nginx-client', slot: 0, nodeId: 'ndk4xbk3nq1c2jdwg7e9o0m1s' });
    expect(t.taskId).toBe('q3gjmacbb0k0ay2ehi1uvz7dw');
  });
  test('docker_gwbridge: the sbox address on the bridge and the gateway', () => {
    const g = parseNetworkInspect(fx('seed000-network-inspect-gwbridge.json'));
    expect(g.subnet).toBe('172.18.0.0/16');
    expect(g.gateway).toBe('172.18.0.1');
    expect(g.vnis).toEqual([]);
    expect(sboxEndpoint(g)?.ip).toBe('172.18.0.2');
  });
  test('an error message instead of JSON is refused', () => {
    expect(() => parseNetworkInspect('Error: No such network: ingress')).toThrow(
      /cannot parse docker network inspect: not JSON/,
    );
  });
});

describe('docker network inspect of several networks (one CLI process)', () => {
  // The CLI prints one JSON array of the networks it found and an error line per missing one (exit 1).
  const ingress = JSON.parse(fx('seed000-network-inspect-ingress.json'))[0];
  const gw = JSON.parse(fx('seed000-network-inspect-gwbridge.json'))[0];
  test('each network by name, whatever the order', () => {
    const m = parseNetworksInspect(JSON.stringify([gw, ingress], null, 4));
    expect([...m.keys()].sort()).toEqual(['docker_gwbridge', 'ingress']);
    expect(m.get('ingress')).toEqual(parseNetworkInspect(fx('seed000-network-inspect-ingress.json')));
    expect(m.get('docker_gwbridge')).toEqual(parseNetworkInspect(fx('seed000-network-inspect-gwbridge.json')));
  });
  test('a missing one is absent and its error line is the one naming it', () => {
    expect([...parseNetworksInspect(JSON.stringify([ingress])).keys()]).toEqual(['ingress']);
    expect(parseNetworksInspect('[]\n').size).toBe(0);
    expect(parseNetworksInspect('').size).toBe(0);
    const stderr = 'Error: No such network: ol_network\nError: No such network: docker_gwbridge\n';
    expect(inspectErrorFor(stderr, 'docker_gwbridge')).toBe('Error: No such network: docker_gwbridge');
    expect(inspectErrorFor(stderr, 'ol_network')).toBe('Error: No such network: ol_network');
    expect(inspectErrorFor('Cannot connect to the Docker daemon\n', 'ingress')).toBe(
      'Cannot connect to the Docker daemon',
    );
    expect(() => parseNetworksInspect('{"Id":1}')).toThrow(ParseError);
  });
});

describe('docker info --format {{json .}}', () => {
  test('version, swarm state and role from one answer; no FirewallBackend before API 1.49', () => {
    const json = JSON.stringify({
      ServerVersion: '20.10.24+dfsg1',
      Swarm: { LocalNodeState: 'active', ControlAvailable: true },
    });
    expect(parseDockerInfo({ code: 0, stdout: json, stderr: '' })).toEqual({
      serverVersion: '20.10.24+dfsg1',
      localNodeState: 'active',
      controlAvailable: true,
    });
  });
  test('no daemon (real CLI 28.2.2): exit 1, the reason from stderr', () => {
    const r = parseDockerInfo({
      code: 1,
      stdout: fx('real-docker28-info-json-no-daemon.json'),
      stderr: fx('real-docker28-info-json-no-daemon.err'),
    });
    expect(r).toEqual({
      error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    });
  });
  test('no daemon, a CLI that exits 0 and lists it in ServerErrors (20.10), or an empty version: an error', () => {
    const why = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
    const json = JSON.stringify({ ServerVersion: '', ServerErrors: [why] });
    expect(parseDockerInfo({ code: 0, stdout: json, stderr: '' })).toEqual({ error: why });
    expect(parseDockerInfo({ code: 0, stdout: '{}', stderr: '' })).toEqual({ error: 'no ServerVersion' });
    expect(parseDockerInfo({ code: 0, stdout: 'garbage', stderr: '' })).toEqual({ error: 'not JSON' });
  });
});

test('docker service inspect: VIP per network, ingress port, replicas', () => {
  const s = parseServiceInspect(fx('seed000-service-inspect.json'));
  expect(s.id).toBe('7rfsp2zazavrnckuw074dv8dl');
  expect(s.name).toBe('my-nginx');
  expect(s.replicas).toBe(3);
  expect(s.endpointMode).toBe('vip');
  expect(s.ports).toEqual([{ protocol: 'tcp', targetPort: 80, publishedPort: 9090, publishMode: 'ingress' }]);
  const ingressId = parseNetworkInspect(fx('seed000-network-inspect-ingress.json')).id;
  expect(s.vips.find((v) => v.networkId === ingressId)?.ip).toBe('10.0.0.15');
});

describe('ip addr', () => {
  test('multi-line `ip a` of the seed ingress_sbox: interfaces matched by subnet, VIP /32 skipped', () => {
    const a = parseIpAddr(fx('seed000-sbox-ip-a.txt'));
    expect(a.map((x) => `${x.ifname} ${x.address}/${x.prefix}`)).toEqual([
      'eth0 10.0.0.2/24',
      'eth0 10.0.0.15/32',
      'eth1 172.18.0.2/16',
    ]);
    expect(ifaceInSubnet(a, '10.0.0.0/24')?.ifname).toBe('eth0');
    expect(ifaceInSubnet(a, '10.0.0.0/24')?.address).toBe('10.0.0.2');
    expect(ifaceInSubnet(a, '172.18.0.0/16')?.ifname).toBe('eth1');
    expect(ifaceInSubnet(a, '10.10.0.0/24')).toBeUndefined();
  });
  test('seed overlay namespace: the bridge holds the ingress gateway', () => {
    const a = parseIpAddr(fx('seed000-overlay-ip-a.txt'));
    expect(ifaceWithAddress(a, '10.0.0.1')?.ifname).toBe('br0');
  });
  test('one-line `ip -o addr` (iproute2 6.1) in sbox, overlay and host namespaces', () => {
    const sb = parseIpAddr(fx('real-sbox-ip-o-addr.txt'));
    expect(ifaceInSubnet(sb, '10.0.0.0/24')?.ifname).toBe('eth0');
    expect(ifaceInSubnet(sb, '172.18.0.0/16')?.ifname).toBe('eth1');
    expect(sb.filter((x) => x.family === 'inet6').length).toBeGreaterThan(0);
    expect(ifaceWithAddress(parseIpAddr(fx('real-overlay-ip-o-addr.txt')), '10.0.0.1')?.ifname).toBe('br0');
    expect(ifaceWithAddress(parseIpAddr(fx('real-host-ip-o-addr.txt')), '10.211.55.10')?.ifname).toBe('eth0');
  });
  test("this machine's own `ip -o addr` parses (loopback present)", () => {
    const a = parseIpAddr(execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }));
    expect(ifaceWithAddress(a, '127.0.0.1')?.ifname).toBe('lo');
  });
});

test('vxlan link details: name, VNI, data path port (seed multi-line and iproute2 6.1 -o)', () => {
  expect(parseVxlanLinks(fx('seed000-overlay-vxlan-link.txt'))).toEqual([
    { ifname: 'vxlan0', vni: 4096, dstport: 4789, mac: '32:f9:e4:5e:e4:ae' },
  ]);
  const real = parseVxlanLinks(fx('real-overlay-ip-d-o-link-vxlan.txt'));
  expect(real).toHaveLength(1);
  expect(real[0]).toMatchObject({ ifname: 'vxlan0', vni: 4096, dstport: 4789 });
});

test('docker netns: ingress_sbox and the overlay namespace found by the ingress id suffix', () => {
  const listing = fx('seed000-ip-netns-show.txt');
  const ns = pickDockerNetns(listing, '9j40lm9s5dtedg04r6jywqr1k');
  expect(ns.sbox).toBe('/var/run/docker/netns/ingress_sbox');
  // 1-9u6c1vlfy4 is ol_network's namespace: must not be picked.
  expect(ns.overlay).toBe('/var/run/docker/netns/1-9j40lm9s5d');
  expect(ns.all).toContain('/var/run/docker/netns/a567c55696f4');
  expect(pickDockerNetns('ingress_sbox\n', '9j40lm9s5dtedg04r6jywqr1k').overlay).toBeUndefined();
});

test('tool probe: real output on this machine, missing tools name the packages', () => {
  const found = parseToolProbe(
    execFileSync('sh', ['-c', toolProbeCommand(['sh', 'no-such-tool-swl', 'ipvsadm'])], { encoding: 'utf8' }),
  );
  expect(found.sh).toMatch(/\/sh$/);
  expect(found['no-such-tool-swl']).toBeUndefined();
  const miss = requiredMissing({ tcpdump: undefined, ipvsadm: undefined, nsenter: '/usr/bin/nsenter' }, [
    'tcpdump',
    'ipvsadm',
    'nsenter',
  ]);
  expect(miss).toEqual(['tcpdump']); // ipvsadm has the /proc/net/ip_vs fallback
  expect(new MissingToolError('centos7-18', miss).message).toBe(
    'centos7-18: missing tcpdump; install on the node: Debian `apt-get install -y tcpdump`, CentOS `yum install -y tcpdump`',
  );
});
