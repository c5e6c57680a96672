/**
 * discover() + snapshotAll() + planCaptures() end to end over real SSH, on hosts whose
 * namespaces are wired like Docker's (sbox, overlay with vxlan0, task sandboxes) and whose
 * `docker` CLI REPLAYS recorded output (the seed's real `docker network/service inspect`,
 * `docker node ls`; test/fixtures/discovery). Docker Swarm itself cannot run on this machine;
 * everything else (sshd, nsenter, ip, bridge, iptables-save) is real. Interface names are
 * deliberately shuffled on h2 to prove matching by subnet, not by name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { planCaptures } from '../../../verify/capture-plan';
import { discover, DiscoveryError } from '../../../verify/discover';
import { snapshotAll } from '../../../verify/discover-snapshot';
import type { SshPool } from '../../../verify/ssh';
import { C10, C18, ReplayLab, startReplayLab } from '../../harness/docker-replay';
import { run } from '../../harness/procs';

let lab: ReplayLab;
let pool: SshPool;
let replay: string;
let nodes: ReplayLab['nodes'];
let netnsDir: ReplayLab['netnsDir'];

beforeAll(async () => {
  lab = await startReplayLab();
  pool = lab.pool();
  replay = lab.dir;
  nodes = lab.nodes;
  netnsDir = lab.netnsDir;
});

afterAll(async () => {
  const prefix = lab?.h.prefix;
  await lab?.stop();
  if (prefix) {
    expect(run(['ip', 'netns', 'list'])).not.toContain(prefix);
    expect(lab.h.livePids()).toEqual([]);
  }
});

test('topology from the nodes: roles, VIP, VNI, sbox endpoints, namespaces, interfaces by subnet', async () => {
  const lines: string[] = [];
  const { topology: t, taskIfaces } = await discover(pool, {
    nodes,
    clientIp: '10.77.0.1',
    service: 'my-nginx',
    netnsDir,
    log: (n, s, d) => lines.push(`${n} ${s} ${d}`),
  });
  expect(t.client.ip).toBe('10.77.0.1');
  expect(t.ingress).toEqual({
    id: '9j40lm9s5dtedg04r6jywqr1k',
    subnet: '10.0.0.0/24',
    gateway: '10.0.0.1',
    vni: 4096,
    dataPathPort: 4789, // from the real vxlan0 in the overlay namespace
    peers: ['10.211.55.10', '10.211.55.22', '10.211.55.18'],
  });
  expect(t.service).toMatchObject({
    name: 'my-nginx',
    id: '7rfsp2zazavrnckuw074dv8dl',
    publishedPort: 9090,
    targetPort: 80,
    vip: '10.0.0.15',
  });
  expect(t.service.tasks).toEqual([
    {
      id: 'q3gjmacbb0k0ay2ehi1uvz7dw',
      slot: 1,
      node: 'centos7-10',
      containerId: C10,
      ingressIp: '10.0.0.17',
      ingressMac: '02:42:0a:00:00:11',
      sandboxKey: `${replay}/netns-h1/a567c55696f4`,
      ingressIface: 'eth0',
    },
    {
      id: 'b7k3rj5hq8m2n4p6s8u0w2y4a',
      slot: 2,
      node: 'centos7-18',
      containerId: C18,
      ingressIp: '10.0.0.20',
      ingressMac: '02:42:0a:00:00:14',
      sandboxKey: `${replay}/netns-h2/7fd6d0335ad4`,
      ingressIface: 'eth2',
    },
  ]);
  const [n10, n18] = t.nodes;
  expect(n10).toEqual({
    name: 'centos7-10',
    ip: '10.77.0.11',
    nic: 'eth0',
    engineVersion: '24.0.7',
    swarmRole: 'manager',
    leader: true,
    sboxIngressIp: '10.0.0.2',
    sboxIngressMac: '02:42:0a:00:00:02',
    sboxGwbridgeIp: '172.18.0.2',
    gwbridgeGateway: '172.18.0.1',
    ns: { sbox: `${replay}/netns-h1/ingress_sbox`, overlay: `${replay}/netns-h1/1-9j40lm9s5d` },
    ifaces: { sboxIngress: 'eth0', sboxGwbridge: 'eth1', overlayVxlan: 'vxlan0', overlayBridge: 'br0' },
  });
  // h2's sbox has the names swapped and the task's interface is eth2: found by subnet/address.
  expect(n18).toMatchObject({
    name: 'centos7-18',
    swarmRole: 'worker',
    leader: false,
    sboxIngressIp: '10.0.0.3',
    ifaces: { sboxIngress: 'eth1', sboxGwbridge: 'eth0' },
  });
  expect(taskIfaces).toEqual({ [C10]: 'eth0', [C18]: 'eth2' });
  expect(lines.some((l) => l.startsWith('centos7-18 discover sbox 10.0.0.3 (eth1)'))).toBe(true);

  // Capture plan from it: every documented point, task interface as discovered.
  const plan = planCaptures(t);
  expect(plan.map((p) => `${p.node} ${p.ns} ${p.iface}`)).toEqual([
    'centos7-10 host eth0',
    'centos7-10 sbox eth1',
    'centos7-10 sbox eth0',
    'centos7-10 overlay vxlan0',
    'centos7-10 task eth0',
    'centos7-18 host eth0',
    'centos7-18 sbox eth0',
    'centos7-18 sbox eth1',
    'centos7-18 overlay vxlan0',
    'centos7-18 task eth2',
  ]);
  expect(plan[0].filter).toBe(
    '(tcp port 9090 and host 10.77.0.1) or (udp port 4789 and udp[39]=6 and (udp[50:2]=9090 or udp[52:2]=9090))',
  );

  // Snapshots: real iptables-save / fdb / vxlan details from inside each namespace.
  const snaps = await snapshotAll(pool, t, { log: (n, s, d) => lines.push(`${n} ${s} ${d}`) });
  expect(snaps.map((s) => s.node)).toEqual(['centos7-10', 'centos7-18']);
  const s10 = snaps[0];
  expect(s10.sbox.addr).toContain('10.0.0.15/32');
  expect(s10.overlay.vxlanLink).toMatch(/vxlan id 4096 .*dstport 4789/s);
  expect(s10.overlay.fdb).toMatch(/^02:42:0a:00:00:14 dst 10\.77\.0\.12 .*self permanent$/m);
  expect(Object.keys(s10.tasks)).toEqual([C10]);
  expect(typeof s10.host.iptablesSave).toBe('string');
  // No ipvsadm here and no ip_vs module: both empty, and the fallback is announced.
  expect(s10.sbox.ipvsadm).toBe('');
  expect(lines.some((l) => /ipvsadm not installed: using \/proc\/net\/ip_vs/.test(l))).toBe(true);
});

test('a missing service names the manager node and the fix', async () => {
  const err = await discover(pool, { nodes, clientIp: '10.77.0.1', service: 'no-such-svc', netnsDir }).catch((e) => e);
  expect(err).toBeInstanceOf(DiscoveryError);
  expect(err.message).toMatch(
    /^centos7-10: service: service "no-such-svc" not found \(.*no such service: no-such-svc.*\); deploy it/,
  );
});

describe('what the combined first reads still tell apart', () => {
  const h2 = (f: string): string => path.join(replay, 'h2', f);
  /** Run discovery with h2's replay files changed; they are put back afterwards. */
  async function withH2(change: Record<string, string | null>): Promise<Error> {
    const put = (f: string, text: string | null): void => {
      if (text === null) fs.rmSync(h2(f), { force: true });
      else fs.writeFileSync(h2(f), text);
    };
    const saved = Object.keys(change).map(
      (f) => [f, fs.existsSync(h2(f)) ? fs.readFileSync(h2(f), 'utf8') : null] as const,
    );
    try {
      for (const [f, text] of Object.entries(change)) put(f, text);
      return await discover(pool, { nodes, clientIp: '10.77.0.1', service: 'my-nginx', netnsDir }).then(
        () => new Error('discovery passed'),
        (e: Error) => e,
      );
    } finally {
      for (const [f, text] of saved) put(f, text);
    }
  }

  test('no docker_gwbridge on a node', async () => {
    const err = await withH2({ 'network-docker_gwbridge': null });
    expect(err).toBeInstanceOf(DiscoveryError);
    expect(err.message).toBe(
      'centos7-18: docker_gwbridge: docker network inspect docker_gwbridge failed: Error response from daemon: network docker_gwbridge not found; it appears once the node joined the swarm',
    );
  });

  test('no ingress network (named first when both are missing)', async () => {
    const cases: Array<Record<string, null>> = [
      { 'network-ingress': null },
      { 'network-ingress': null, 'network-docker_gwbridge': null },
    ];
    for (const change of cases) {
      const err = await withH2(change);
      expect(err.message).toBe(
        'centos7-18: ingress network: docker network inspect ingress failed: Error response from daemon: network ingress not found; the swarm has no ingress network (docker network create --ingress ...)',
      );
    }
  });

  test('the daemon not running (the real CLI 28.2.2 answer) and a node outside the swarm', async () => {
    const down = await withH2({
      info: fs.readFileSync(
        path.join(__dirname, '../../fixtures/discovery/real-docker28-info-json-no-daemon.json'),
        'utf8',
      ),
      'info.err': fs.readFileSync(
        path.join(__dirname, '../../fixtures/discovery/real-docker28-info-json-no-daemon.err'),
        'utf8',
      ),
    });
    expect(down.message).toBe(
      'centos7-18: docker: the Docker daemon is not running (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?); start it (systemctl start docker) or re-run the Ansible provisioning',
    );
    const out = await withH2({
      info: JSON.stringify({ ServerVersion: '24.0.7', Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } }),
    });
    expect(out.message).toBe(
      'centos7-18: swarm: node is not in a swarm (LocalNodeState=inactive); run the Ansible provisioning (swarm init/join)',
    );
  });
});
