/**
 * The client paths' state checks on the seeds' real command output (seed 004: a task's own
 * namespace with the VIP /32, mangle OUTPUT MARK 0x101, IPVS FWM 257 with three Masq reals, the
 * `--ipvs` SNAT to its own address and the embedded DNS DNAT; seed 002: PERMANENT neighbours in the
 * overlay namespace). Healthy state passes; each piece taken away or changed fails its own check,
 * naming what was seen. And the path specs resolve to hops and a capture plan that name the client
 * namespace, the user overlay namespace, the wire with the overlay's VNI and the serving task.
 */
import * as fs from 'fs';
import * as path from 'path';
import { planCaptures } from '../../../verify/capture-plan';
import {
  clientCheckId,
  dnsAnswerChecks,
  dnsDnatCheck,
  nslookupAddresses,
  parseNeigh,
  userOverlayChecks,
  vipChecks,
} from '../../../verify/engine/state-client';
import type { NodeInfo, NodeSnapshot, RequestRecord, Topology } from '../../../verify/model';
import type { UserOverlayTopology } from '../../../verify/model-paths';
import { pathById } from '../../../verify/paths';

const D = path.join(__dirname, '../../fixtures/discovery');
const read = (f: string) => fs.readFileSync(path.join(D, f), 'utf8');

const node = (name: string, ip: string): NodeInfo =>
  ({ name, ip, nic: 'enp0s5', engineVersion: '24.0.7', swarmRole: 'worker', leader: false }) as unknown as NodeInfo;
const W1 = node('worker1', '192.168.99.101');
const W2 = node('worker2', '192.168.99.102');

// Seed 004's addresses: my-web tasks 10.0.0.3/.4 on worker2 and 10.0.0.5 on worker1, VIP 10.0.0.2.
const u: UserOverlayTopology = {
  network: { name: 'my-network', id: 'hxyiridl2bxxxxxxxxxxxxxxx', subnet: '10.0.0.0/24', vni: 4097 },
  service: { name: 'my-web', vip: '10.0.0.2', port: 80 },
  clientService: 'my-web-client',
  nodes: [W1, W2].map((n) => ({
    name: n.name,
    nsPath: `/var/run/docker/netns/1-hxyiridl2b`,
    vxlanIface: 'vxlan0',
    bridgeIface: 'br0',
    gwbridge: { iface: 'docker_gwbridge', subnet: '172.18.0.0/16', gateway: '172.18.0.1' },
  })),
  tasks: [
    {
      node: 'worker2',
      containerId: 'c00fffd5faba',
      sandboxKey: '/x/c',
      ip: '10.0.0.3',
      mac: '02:42:0a:00:00:03',
      iface: 'eth0',
    },
    {
      node: 'worker2',
      containerId: 'e6001f9a802e',
      sandboxKey: '/x/e',
      ip: '10.0.0.4',
      mac: '02:42:0a:00:00:04',
      iface: 'eth0',
    },
    {
      node: 'worker1',
      containerId: '5cca2a34de2b',
      sandboxKey: '/x/5',
      ip: '10.0.0.5',
      mac: '02:42:0a:00:00:05',
      iface: 'eth0',
    },
  ],
  clients: [
    {
      node: 'worker1',
      containerId: '5cca2a34de2b',
      taskId: 'x',
      sandboxKey: '/x/5',
      ip: '10.0.0.5',
      mac: '02:42:0a:00:00:05',
      iface: 'eth0',
      gwbridgeIp: '172.18.0.3',
      gwbridgeIface: 'eth1',
    },
  ],
};
const topo = {
  nodes: [W1, W2],
  ingress: { dataPathPort: 4789, vni: 4096 },
  service: { tasks: u.tasks.map((t, i) => ({ ...t, id: `t${i}`, slot: i + 1, ingressIp: '', ingressMac: '' })) },
  userOverlay: u,
} as unknown as Topology;

const healthy: NodeSnapshot = {
  node: 'worker1',
  client: {
    containerId: '5cca2a34de2b',
    iptablesSave: read('seed004-client-iptables-save.txt'),
    ipvsadm: read('seed004-client-ipvsadm.txt'),
    procIpvs: '',
    addr: read('seed004-client-ip-a.txt'),
  },
  userOverlay: {
    // worker1's view: the two remote tasks on worker2.
    neigh:
      '10.0.0.3 dev vxlan0 lladdr 02:42:0a:00:00:03 PERMANENT\n10.0.0.4 dev vxlan0 lladdr 02:42:0a:00:00:04 PERMANENT\n',
    fdb: '02:42:0a:00:00:03 dst 192.168.99.102 link-netnsid 0 self permanent\n02:42:0a:00:00:04 dst 192.168.99.102 link-netnsid 0 self permanent\n',
    vxlanLink:
      '5: vxlan0: <BROADCAST> mtu 1450\n    vxlan id 4097 srcport 0 0 dstport 4789 proxy l2miss l3miss ageing 300',
  },
} as unknown as NodeSnapshot;

const byId = (cs: ReturnType<typeof vipChecks>) => Object.fromEntries(cs.map((c) => [c.id.split(':')[1], c]));
const edit = (f: (c: NonNullable<NodeSnapshot['client']>) => Partial<NonNullable<NodeSnapshot['client']>>) =>
  ({ ...healthy, client: { ...healthy.client!, ...f(healthy.client!) } }) as NodeSnapshot;

test("seed 004's client namespace passes every VIP check, with the facts it read", () => {
  const c = byId(vipChecks(W1, u, healthy));
  expect(Object.values(c).map((x) => `${x.id} ${x.status}`)).toEqual([
    'worker1:vip-addr ok',
    'worker1:vip-mark ok',
    'worker1:vip-ipvs-fwm ok',
    'worker1:vip-ipvs-reals ok',
    'worker1:vip-snat ok',
  ]);
  expect(c['vip-mark'].facts).toEqual({ kind: 'mark', chain: 'OUTPUT', port: 80, mark: 0x101 });
  expect(c['vip-ipvs-fwm'].facts).toEqual({ kind: 'ipvs-fwm', fwmark: 257, scheduler: 'rr' });
  expect(c['vip-snat'].facts).toEqual({ kind: 'snat', dst: '10.0.0.0/24', toSource: '10.0.0.5' });
});

test.each([
  ['no VIP /32', edit((c) => ({ addr: c.addr.replace(/\n\s+inet 10\.0\.0\.2\/32.*/, '') })), 'vip-addr', 'missing'],
  [
    'no MARK',
    edit((c) => ({ iptablesSave: c.iptablesSave.replace(/^-A OUTPUT -d 10\.0\.0\.2.*\n/m, '') })),
    'vip-mark',
    'missing',
  ],
  ['IPVS table empty', edit(() => ({ ipvsadm: '' })), 'vip-ipvs-fwm', 'missing'],
  [
    'a task missing from IPVS',
    edit((c) => ({ ipvsadm: c.ipvsadm.replace(/.*10\.0\.0\.4:0.*\n/, '') })),
    'vip-ipvs-reals',
    'wrong',
  ],
  [
    'a real with weight 0',
    edit((c) => ({ ipvsadm: c.ipvsadm.replace(/(10\.0\.0\.3:0\s+Masq\s+)1/, '$10') })),
    'vip-ipvs-reals',
    'wrong',
  ],
  [
    'SNAT to another address',
    edit((c) => ({ iptablesSave: c.iptablesSave.replace('--to-source 10.0.0.5', '--to-source 10.0.0.9') })),
    'vip-snat',
    'wrong',
  ],
  [
    'no SNAT',
    edit((c) => ({ iptablesSave: c.iptablesSave.replace(/^.*--ipvs -j SNAT.*\n/m, '') })),
    'vip-snat',
    'missing',
  ],
])('%s fails its own check, the first one in path order', (_what, snap, check, status) => {
  const c = byId(vipChecks(W1, u, snap));
  expect(c[check].status).toBe(status);
  // Later checks may follow from it (no MARK: no FWM service to find), earlier ones stay ok.
  expect(Object.values(c).find((x) => x.status !== 'ok')?.id).toBe(`worker1:${check}`);
});

test('user overlay: VNI, PERMANENT neighbours and fdb entries for the remote tasks (seed 002 layout)', () => {
  expect(parseNeigh(read('seed002-overlay-ip-neigh.txt'))).toEqual([
    { ip: '10.200.0.5', mac: '02:42:0a:c8:00:05', dev: 'vxlan0', permanent: true },
    { ip: '10.200.0.4', mac: '02:42:0a:c8:00:04', dev: 'vxlan0', permanent: true },
  ]);
  const ok = byId(userOverlayChecks(W1, topo, healthy));
  expect(Object.values(ok).map((x) => x.status)).toEqual(['ok', 'ok', 'ok']);
  const ov = healthy.userOverlay!;
  const broken = (p: Partial<typeof ov>) =>
    byId(userOverlayChecks(W1, topo, { ...healthy, userOverlay: { ...ov, ...p } }));
  expect(broken({ vxlanLink: ov.vxlanLink.replace('id 4097', 'id 4096') })['uoverlay-vxlan']).toMatchObject({
    status: 'wrong',
    seen: 'vxlan id 4096 dstport 4789',
  });
  expect(broken({ neigh: ov.neigh.replace(/^10\.0\.0\.4.*$/m, '') })['uoverlay-neigh'].seen).toMatch(/10\.0\.0\.4/);
  expect(
    broken({ fdb: ov.fdb.replace('02:42:0a:00:00:03 dst 192.168.99.102', '02:42:0a:00:00:03 dst 192.168.99.101') })[
      'uoverlay-fdb'
    ],
  ).toMatchObject({ status: 'wrong' });
});

test('embedded DNS: the DNAT in the client, and answers judged as exact sets', () => {
  expect(dnsDnatCheck(W1, healthy)).toMatchObject({ id: clientCheckId.dnsDnat('worker1'), status: 'ok' });
  const noDnat = edit((c) => ({
    iptablesSave: c.iptablesSave.replace(/^.*-p udp -m udp --dport 53 -j DNAT.*\n/m, ''),
  }));
  expect(dnsDnatCheck(W1, noDnat).status).toBe('missing');
  // Seed 004's nslookup answers (busybox's older layout), and the newer one.
  const vipAnswer = 'Server:    127.0.0.11\nAddress 1: 127.0.0.11\n\nName:      my-web\nAddress 1: 10.0.0.2\n';
  const tasksAnswer =
    'Server:    127.0.0.11\nAddress 1: 127.0.0.11\n\nName:      tasks.my-web\nAddress 1: 10.0.0.4 my-web.2.14hggmn6m8rucruo2omt8wygt.my-network\nAddress 2: 10.0.0.5 my-web.3.ehfb5ue134nyasq2g539uaa6g.my-network\nAddress 3: 10.0.0.3 my-web.1.5yzoighbalqvio4djic464a9j.my-network\n';
  expect(nslookupAddresses(tasksAnswer)).toEqual(['10.0.0.3', '10.0.0.4', '10.0.0.5']);
  expect(
    nslookupAddresses('Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nName:\tmy-web\nAddress: 10.0.0.2\n'),
  ).toEqual(['10.0.0.2']);
  const req = (name: string, body: string): RequestRecord => ({
    index: 0,
    path: 'dns',
    entryNode: 'worker1',
    url: `dns:${name}`,
    status: 200,
    body,
    startedAt: '',
  });
  const ok = dnsAnswerChecks(W1, u, [req('my-web', vipAnswer), req('tasks.my-web', tasksAnswer)]);
  expect(ok.map((c) => c.status)).toEqual(['ok', 'ok']);
  const short = dnsAnswerChecks(W1, u, [
    req('my-web', vipAnswer.replace('10.0.0.2', '10.0.0.5')),
    req('tasks.my-web', tasksAnswer.replace(/^Address 3.*$/m, '')),
  ]);
  expect(short.map((c) => `${c.status}: ${c.seen}`)).toEqual(['wrong: 10.0.0.5', 'wrong: 10.0.0.4, 10.0.0.5']);
});

test('the client paths resolve to hops and a capture plan in the client, the user overlay, on the wire and in the task', () => {
  const vip = pathById('service-vip')!;
  const remote = topo.service.tasks[0]; // on worker2
  const hops = vip.resolve({ topology: topo, entry: W1, target: remote });
  expect(hops.map((h) => h.id)).toEqual([
    '1-client-out',
    '2-vip-mark',
    '3-vip-ipvs',
    '4-vip-snat',
    '5-client-overlay-state',
    '6-client-uoverlay-vxlan0',
    '7-client-host-vxlan-out',
    '7-serving-host-vxlan-in',
    '8-serving-overlay-vxlan',
    '8-serving-uoverlay-vxlan0',
    '9-serving-task-overlay',
    'R9-serving-task-overlay',
    'R7-serving-host-vxlan-out',
    'R7-client-host-vxlan-in',
    'R6-client-uoverlay-vxlan0',
    'R1-client-in',
    'H-client-body',
  ]);
  expect(hops.find((h) => h.id === '7-client-host-vxlan-out')?.expect?.vxlan).toEqual({
    src: W1.ip,
    dst: W2.ip,
    dport: 4789,
    vni: 4097,
  });
  const local = vip.resolve({ topology: topo, entry: W1, target: topo.service.tasks[2] });
  expect(local.some((h) => h.ns === 'uoverlay' || h.point?.ns === 'host')).toBe(false);
  const plan = planCaptures(topo, { paths: [vip], entryNodes: ['worker1'] });
  expect(plan.map((p) => `${p.node}/${p.ns}/${p.iface}`).sort()).toEqual([
    'worker1/client/eth0',
    'worker1/host/enp0s5',
    'worker1/task/eth0',
    'worker1/uoverlay/vxlan0',
    'worker2/host/enp0s5',
    'worker2/task/eth0',
    'worker2/task/eth0',
    'worker2/uoverlay/vxlan0',
  ]);
  expect(plan.find((p) => p.ns === 'host')?.filter).toBe(
    'udp port 4789 and udp[39]=6 and (udp[50:2]=80 or udp[52:2]=80)',
  );
});

describe('Docker 20.10 and later: the VIP is balanced in the network lb namespace (real bookworm lab output)', () => {
  const lbNode = node('node-10', '10.211.55.10');
  const lbU: UserOverlayTopology = {
    network: { name: 'ol_network', id: 'l1k51umc592nlbfvx83ut2xc7', subnet: '10.10.0.0/24', vni: 4097 },
    service: { name: 'my-nginx', vip: '10.10.0.2', port: 80 },
    vipAt: 'lb',
    clientService: 'my-nginx-client',
    nodes: [
      {
        name: 'node-10',
        nsPath: '/var/run/docker/netns/1-l1k51umc59',
        vxlanIface: 'vxlan0',
        bridgeIface: 'br0',
        gwbridge: { iface: 'docker_gwbridge', subnet: '172.18.0.0/16', gateway: '172.18.0.1' },
        lb: { nsPath: '/var/run/docker/netns/lb_l1k51umc5', ip: '10.10.0.6', mac: '02:42:0a:0a:00:06', iface: 'eth0' },
      },
    ],
    tasks: ['47', '48', '49'].map((x, i) => ({
      node: ['node-10', 'node-18', 'node-22'][i],
      containerId: `c${x}`,
      sandboxKey: `/x/${x}`,
      ip: `10.10.0.${x}`,
      mac: `02:42:0a:0a:00:${Number(x).toString(16)}`,
      iface: 'eth1',
    })),
    clients: [
      {
        node: 'node-10',
        containerId: 'fe6d55872ece',
        taskId: 'x',
        sandboxKey: '/x/c',
        ip: '10.10.0.52',
        mac: '02:42:0a:0a:00:34',
        iface: 'eth0',
        gwbridgeIp: '172.18.0.3',
        gwbridgeIface: 'eth1',
      },
    ],
  };
  const lbSnap = {
    node: 'node-10',
    // The client container holds no VIP, MARK or IPVS of its own on 20.10 (seed 004's state is not there).
    client: { containerId: 'fe6d55872ece', iptablesSave: '', ipvsadm: '', procIpvs: '', addr: '' },
    lb: {
      iptablesSave: read('real-lb-iptables-save.txt'),
      ipvsadm: read('real-lb-ipvsadm.txt'),
      procIpvs: '',
      addr: read('real-lb-ip-o-addr.txt'),
    },
  } as unknown as NodeSnapshot;

  test('every VIP check passes on the lb namespace: MARK in mangle INPUT, SNAT to the lb endpoint', () => {
    const c = byId(vipChecks(lbNode, lbU, lbSnap));
    expect(Object.values(c).map((x) => `${x.id} ${x.status}`)).toEqual([
      'node-10:vip-addr ok',
      'node-10:vip-mark ok',
      'node-10:vip-ipvs-fwm ok',
      'node-10:vip-ipvs-reals ok',
      'node-10:vip-snat ok',
    ]);
    expect(c['vip-mark'].facts).toEqual({ kind: 'mark', chain: 'INPUT', port: 80, mark: 0x108 });
    expect(c['vip-snat'].facts).toEqual({ kind: 'snat', dst: '10.10.0.0/24', toSource: '10.10.0.6' });
    expect(c['vip-mark'].title).toBe('lb namespace mangle INPUT -d 10.10.0.2/32 MARK');
  });

  test('the MARK on the wrong chain, or the SNAT to the client instead of the lb endpoint, fails its check', () => {
    const onOutput = {
      ...lbSnap,
      lb: {
        ...lbSnap.lb!,
        iptablesSave: lbSnap.lb!.iptablesSave.replace(/-A INPUT -d 10\.10\.0\.2/, '-A OUTPUT -d 10.10.0.2'),
      },
    } as NodeSnapshot;
    expect(byId(vipChecks(lbNode, lbU, onOutput))['vip-mark'].status).toBe('missing');
    const toClient = {
      ...lbSnap,
      lb: {
        ...lbSnap.lb!,
        iptablesSave: lbSnap.lb!.iptablesSave.replace('--to-source 10.10.0.6', '--to-source 10.10.0.52'),
      },
    } as NodeSnapshot;
    expect(byId(vipChecks(lbNode, lbU, toClient))['vip-snat'].status).toBe('wrong');
  });

  test('the service-vip hops go client -> lb namespace (VIP in, task out) -> task, the task answering the lb endpoint', () => {
    const t = {
      nodes: [lbNode, node('node-18', '10.211.55.18'), node('node-22', '10.211.55.22')],
      ingress: { dataPathPort: 4789, vni: 4096 },
      service: { tasks: lbU.tasks.map((x, i) => ({ ...x, id: `t${i}`, slot: i + 1, ingressIp: '', ingressMac: '' })) },
      userOverlay: lbU,
    } as unknown as Topology;
    const spec = pathById('service-vip')!;
    const hops = spec.resolve({ topology: t, entry: lbNode, target: spec.targets(t, lbNode)[0] });
    const packet = (id: string) => hops.find((h) => h.id === id)!;
    expect(hops.map((h) => h.id)).toEqual([
      '1-client-out',
      '2-lb-in',
      '2-vip-mark',
      '3-vip-ipvs',
      '4-vip-snat',
      '4-lb-out',
      '9-serving-task-overlay',
      'R9-serving-task-overlay',
      'R4-lb-in',
      'R2-lb-out',
      'R1-client-in',
      'H-client-body',
    ]);
    expect(packet('1-client-out').expect).toMatchObject({ src: '10.10.0.52', dst: '10.10.0.2', dport: 80 });
    expect(packet('4-lb-out').point).toMatchObject({
      ns: 'lb',
      iface: 'eth0',
      nsPath: '/var/run/docker/netns/lb_l1k51umc5',
    });
    expect(packet('9-serving-task-overlay').expect).toMatchObject({ src: '10.10.0.6', dst: '10.10.0.47' });
    expect(packet('R1-client-in').expect).toMatchObject({ src: '10.10.0.2', dst: '10.10.0.52' });
  });
});
