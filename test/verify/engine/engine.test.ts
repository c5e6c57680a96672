/**
 * The engine on the mini lab recorded by test/fixtures/pcap/record.sh (real captures of the
 * ingress path: client -> entry DNAT -> sbox -> VXLAN -> task, three requests, round robin).
 * A healthy round passes; for each hop, removing or altering exactly that hop's packets or
 * state fails the round with that hop named as the first broken one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { distributionOf, evaluate } from '../../../verify/engine';
import type { RoundVerdict } from '../../../verify/engine';
import type { DecodedPacket, FrameRecord } from '../../../verify/decode';
import type { CaptureFile, NodeSnapshot, RoundData, TaskInfo, Topology } from '../../../verify/model';
import { OutFrame, rewriteCapture, tcpLayer, vxlanOffset } from '../pcap-writer';
import { LAB_PCAPS, loadMiniLab, tmpDir } from './minilab';

const A = 'centos7-10';
const B = 'centos7-18';
let healthy: RoundVerdict;
let isn: { remote: number; local: number };
const tmp: string[] = [];

beforeAll(async () => {
  healthy = await evaluate(loadMiniLab());
  isn = { remote: healthy.requests[0].isn as number, local: healthy.requests[2].isn as number };
});
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

type Pick = (p: DecodedPacket) => boolean;
const syn =
  (which: 'remote' | 'local', vx?: boolean): Pick =>
  (p) => {
    const t = tcpLayer(p).tcp;
    return !!t && t.flags.syn && !t.flags.ack && t.seq === isn[which] && (vx === undefined || !!p.vxlan === vx);
  };
const synack =
  (which: 'remote' | 'local', vx?: boolean): Pick =>
  (p) => {
    const t = tcpLayer(p).tcp;
    return (
      !!t && t.flags.syn && t.flags.ack && t.ack === (isn[which] + 1) >>> 0 && (vx === undefined || !!p.vxlan === vx)
    );
  };
const frame = (f: FrameRecord, data: Uint8Array = f.data, dt = 0): OutFrame => {
  const ns = f.tsNsec + dt;
  return {
    tsSec: f.tsSec + Math.floor(ns / 1e9),
    tsNsec: ((ns % 1e9) + 1e9) % 1e9,
    data,
    originalLength: f.originalLength,
  };
};

interface Change {
  /** Capture file (basename) -> frame rewrite. */
  readonly pcaps?: Record<string, (f: FrameRecord, p: DecodedPacket) => OutFrame | OutFrame[] | null>;
  readonly dropFiles?: readonly string[];
  readonly snapshot?: (s: NodeSnapshot) => NodeSnapshot;
  readonly topology?: (t: Topology) => Topology;
  readonly round?: (r: RoundData) => RoundData;
}

async function judge(c: Change): Promise<RoundVerdict> {
  const dir = tmpDir('engine');
  tmp.push(dir);
  for (const f of fs.readdirSync(LAB_PCAPS)) {
    if (c.dropFiles?.includes(f)) continue;
    const fn = c.pcaps?.[f];
    if (fn) rewriteCapture(path.join(LAB_PCAPS, f), path.join(dir, f), fn);
    else fs.copyFileSync(path.join(LAB_PCAPS, f), path.join(dir, f));
  }
  let round = loadMiniLab(dir);
  if (c.snapshot) round = { ...round, snapshots: round.snapshots.map(c.snapshot) };
  if (c.topology) round = { ...round, topology: c.topology(JSON.parse(JSON.stringify(round.topology))) };
  if (c.round) round = c.round(round);
  return evaluate(round);
}

const drop = (pick: Pick) => (f: FrameRecord, p: DecodedPacket) => (pick(p) ? null : frame(f));
const edit = (node: string, fn: (s: NodeSnapshot) => NodeSnapshot) => (s: NodeSnapshot) =>
  s.node === node ? fn(s) : s;
const hostText =
  (fn: (t: string) => string) =>
  (s: NodeSnapshot): NodeSnapshot => ({ ...s, host: { iptablesSave: fn(s.host.iptablesSave) } });
const sboxText =
  (k: keyof NodeSnapshot['sbox'], fn: (t: string) => string) =>
  (s: NodeSnapshot): NodeSnapshot => ({ ...s, sbox: { ...s.sbox, [k]: fn(s.sbox[k]) } });
const overlayText =
  (k: keyof NodeSnapshot['overlay'], fn: (t: string) => string) =>
  (s: NodeSnapshot): NodeSnapshot => ({ ...s, overlay: { ...s.overlay, [k]: fn(s.overlay[k]) } });
const withoutLine = (re: RegExp) => (t: string) =>
  t
    .split('\n')
    .filter((l) => !re.test(l))
    .join('\n');

test('a healthy mini-lab round proves every hop of every request', () => {
  expect(healthy.ok).toBe(true);
  expect(healthy.exitCode).toBe(0);
  expect(healthy.requests).toHaveLength(3);
  for (const r of healthy.requests) {
    expect({
      r: r.index,
      bad: r.hops.filter((h) => h.status !== 'ok').map((h) => `${h.id}: ${h.status} ${h.seen}`),
    }).toEqual({ r: r.index, bad: [] });
    expect(r.servedNode).toBe(r.bodyNode);
  }
  expect(healthy.requests.map((r) => r.variant)).toEqual(['remote', 'remote', 'local']);
  expect(healthy.requests.map((r) => r.servedNode)).toEqual(['centos7-18', 'centos7-22', 'centos7-10']);
  expect(healthy.distribution.roundRobin).toBe(true);
  expect(healthy.state.every((c) => c.status === 'ok')).toBe(true);
  // The remote path has 23 hops (both directions), the local one 13.
  expect(healthy.requests[0].hops).toHaveLength(23);
  expect(healthy.requests[2].hops).toHaveLength(13);
});

const TASK_B = `${B}__task__eth0__7fd6d0335ad4.pcap`;
const TASK_A = `${A}__task__eth0__a567c55696f4.pcap`;
const NIC_A = `${A}__host__enp0s5.pcap`;
const NIC_B = `${B}__host__enp0s5.pcap`;
const OL_A = `${A}__overlay__vxlan0.pcap`;
const OL_B = `${B}__overlay__vxlan0.pcap`;
const ETH1 = `${A}__sbox__eth1.pcap`;
const ETH0 = `${A}__sbox__eth0.pcap`;

// [hop that must be named, request index, what is done to the round, expected status, detail expected in diffs/seen]
const CASES: Array<[string, number, () => Change, 'missing' | 'wrong', RegExp?]> = [
  ['1-entry-host-in', 0, () => ({ pcaps: { [NIC_A]: drop(syn('remote', false)) } }), 'missing'],
  ['3-entry-sbox-eth1', 0, () => ({ pcaps: { [ETH1]: drop(syn('remote')) } }), 'missing'],
  ['7-entry-sbox-eth0', 0, () => ({ pcaps: { [ETH0]: drop(syn('remote')) } }), 'missing'],
  [
    '7-entry-sbox-eth0',
    0,
    () => ({
      pcaps: {
        [ETH0]: (f, p) => {
          if (!syn('remote')(p)) return frame(f);
          const d = Buffer.from(f.data);
          d[5] = 0x99; // destination MAC's last byte
          return frame(f, d);
        },
      },
    }),
    'wrong',
    /MAC dst 02:42:0a:00:00:99, expected 02:42:0a:00:00:14/,
  ],
  ['8-entry-overlay-vxlan0', 0, () => ({ pcaps: { [OL_A]: drop(syn('remote')) } }), 'missing'],
  ['9-entry-host-vxlan-out', 0, () => ({ pcaps: { [NIC_A]: drop(syn('remote', true)) } }), 'missing'],
  [
    '9-entry-host-vxlan-out',
    0,
    () => ({
      pcaps: {
        [NIC_A]: (f, p) => {
          if (!syn('remote', true)(p)) return frame(f);
          const d = Buffer.from(f.data);
          d[vxlanOffset(d) + 6] = 0x01; // VNI 0x001000 -> 0x001001
          return frame(f, d);
        },
      },
    }),
    'wrong',
    /VNI 4097, expected 4096/,
  ],
  ['9-serving-host-vxlan-in', 0, () => ({ pcaps: { [NIC_B]: drop(syn('remote', true)) } }), 'missing'],
  ['10-serving-overlay-vxlan0', 0, () => ({ pcaps: { [OL_B]: drop(syn('remote')) } }), 'missing'],
  ['11-serving-task-eth0', 0, () => ({ pcaps: { [TASK_B]: drop(syn('remote')) } }), 'missing'],
  ['R11-serving-task-eth0', 0, () => ({ pcaps: { [TASK_B]: drop(synack('remote')) } }), 'missing'],
  ['R10-serving-overlay-vxlan0', 0, () => ({ pcaps: { [OL_B]: drop(synack('remote')) } }), 'missing'],
  ['R9-serving-host-vxlan-out', 0, () => ({ pcaps: { [NIC_B]: drop(synack('remote', true)) } }), 'missing'],
  ['R9-entry-host-vxlan-in', 0, () => ({ pcaps: { [NIC_A]: drop(synack('remote', true)) } }), 'missing'],
  ['R8-entry-overlay-vxlan0', 0, () => ({ pcaps: { [OL_A]: drop(synack('remote')) } }), 'missing'],
  ['R7-entry-sbox-eth0', 0, () => ({ pcaps: { [ETH0]: drop(synack('remote')) } }), 'missing'],
  ['R3-entry-sbox-eth1', 0, () => ({ pcaps: { [ETH1]: drop(synack('remote')) } }), 'missing'],
  ['R1-entry-host-out', 0, () => ({ pcaps: { [NIC_A]: drop(synack('remote', false)) } }), 'missing'],
  // Task on the entry node: no VXLAN hops at all.
  ['11-serving-task-eth0', 2, () => ({ pcaps: { [TASK_A]: drop(syn('local')) } }), 'missing'],
  ['R11-serving-task-eth0', 2, () => ({ pcaps: { [TASK_A]: drop(synack('local')) } }), 'missing'],
  // State hops.
  [
    '2-entry-host-dnat',
    0,
    () => ({ snapshot: edit(A, hostText(withoutLine(/-j DNAT --to-destination 172\.18\.0\.2:9090/))) }),
    'missing',
    /DOCKER-INGRESS has no DNAT/,
  ],
  [
    '2-entry-host-dnat',
    0,
    () => ({ snapshot: edit(A, hostText(withoutLine(/DOCKER-INGRESS/))) }),
    'missing',
    /no DOCKER-INGRESS chain/,
  ],
  [
    '2-entry-host-dnat',
    0,
    () => ({
      snapshot: edit(
        A,
        hostText((t) => t.replace('172.18.0.2:9090', '172.18.0.3:9090')),
      ),
    }),
    'wrong',
    /to:172\.18\.0\.3:9090, expected to:172\.18\.0\.2:9090/,
  ],
  [
    '2-entry-host-dnat',
    0,
    () => ({
      topology: (t) => ({ ...t, nodes: t.nodes.map((n) => (n.name === A ? { ...n, engineVersion: '28.5.2' } : n)) }),
    }),
    'wrong',
    /not FORWARD -> DOCKER-FORWARD -> DOCKER-INGRESS/,
  ],
  [
    '4-entry-sbox-mark',
    0,
    () => ({ snapshot: edit(A, sboxText('iptablesSave', withoutLine(/-A PREROUTING .*MARK/))) }),
    'missing',
  ],
  [
    '5-entry-sbox-ipvs',
    0,
    () => ({
      snapshot: edit(
        A,
        sboxText('ipvsadm', (t) => t.replace('FWM  256 rr', 'FWM  257 rr')),
      ),
    }),
    'wrong',
    /FWM 257, expected 256/,
  ],
  [
    '5-entry-sbox-ipvs',
    0,
    () => ({ snapshot: edit(A, sboxText('ipvsadm', withoutLine(/10\.0\.0\.21:0/))) }),
    'wrong',
    /missing 10\.0\.0\.21/,
  ],
  [
    '5-entry-sbox-ipvs',
    0,
    () => ({
      snapshot: edit(
        A,
        sboxText('ipvsadm', () => ''),
      ),
      round: (r) => ({
        ...r,
        snapshots: r.snapshots.map(
          edit(
            A,
            sboxText('procIpvs', (t) => t.replace('00000100', '00000102')),
          ),
        ),
      }),
    }),
    'wrong',
    /FWM 258, expected 256/,
  ],
  [
    '6-entry-sbox-snat',
    0,
    () => ({
      snapshot: edit(
        A,
        sboxText('iptablesSave', (t) => t.replace('--to-source 10.0.0.2', '--to-source 10.0.0.9')),
      ),
    }),
    'wrong',
    /to:10\.0\.0\.9, expected to:10\.0\.0\.2/,
  ],
  [
    '8-entry-overlay-fdb',
    0,
    () => ({
      snapshot: edit(
        A,
        overlayText('fdb', (t) =>
          t.replace('02:42:0a:00:00:14 dst 10.211.55.18', '02:42:0a:00:00:14 dst 10.211.55.22'),
        ),
      ),
    }),
    'wrong',
    /dst 10\.211\.55\.22, expected 10\.211\.55\.18/,
  ],
  [
    '8-entry-overlay-fdb',
    0,
    () => ({
      snapshot: edit(
        A,
        overlayText('vxlanLink', (t) => t.replace('dstport 4789', 'dstport 4790')),
      ),
    }),
    'wrong',
    /dstport 4790, expected 4789/,
  ],
  [
    '9-serving-overlay-link',
    0,
    () => ({
      snapshot: edit(
        B,
        overlayText('vxlanLink', (t) => t.replace('vxlan id 4096', 'vxlan id 4097')),
      ),
    }),
    'wrong',
    /VNI 4097, expected 4096/,
  ],
  [
    '12-serving-task-redirect',
    0,
    () => ({
      snapshot: edit(B, (s) => ({
        ...s,
        tasks: Object.fromEntries(
          Object.entries(s.tasks).map(([k, v]) => [k, { iptablesSave: withoutLine(/REDIRECT/)(v.iptablesSave) }]),
        ),
      })),
    }),
    'missing',
  ],
  [
    '12-serving-task-redirect',
    2,
    () => ({
      snapshot: edit(A, (s) => ({
        ...s,
        tasks: Object.fromEntries(
          Object.entries(s.tasks).map(([k, v]) => [
            k,
            { iptablesSave: v.iptablesSave.replace('--to-ports 80', '--to-ports 8080') },
          ]),
        ),
      })),
    }),
    'wrong',
    /to-ports 8080, expected 80/,
  ],
];

describe.each(CASES)('%s broken (request %i)', (hop, req, change, status, detail) => {
  test(`the round fails and names ${hop}`, async () => {
    const v = await judge(change());
    expect(v.ok).toBe(false);
    expect(v.exitCode).toBe(1);
    const r = v.requests[req];
    expect(r.ok).toBe(false);
    expect(r.firstBroken?.hop).toBe(hop);
    const h = r.hops.find((x) => x.id === hop);
    expect(h?.status).toBe(status);
    if (detail) expect(`${h?.diffs.join('; ')} | ${h?.seen}`).toMatch(detail);
    expect(r.firstBroken?.causes.length).toBeGreaterThan(0);
    // Hops before the broken one are still proven.
    const before = r.hops
      .slice(
        0,
        r.hops.findIndex((x) => x.id === hop),
      )
      .filter((x) => x.kind === 'packet');
    expect(before.filter((x) => x.status !== 'ok').map((x) => x.id)).toEqual([]);
  });
});

test('likely causes name the usual suspects', async () => {
  const dnat = await judge(CASES[20][2]());
  expect(dnat.firstBroken?.causes.join('\n')).toMatch(/firewalld reload .*DOCKER-INGRESS/);
  const peer = await judge(CASES[7][2]());
  expect(peer.requests[0].firstBroken?.causes.join('\n')).toMatch(/UDP 4789.*firewall|firewall.*4789/);
  expect(peer.requests[0].firstBroken?.causes.join('\n')).toMatch(/checksum offload/);
});

describe('not captured', () => {
  test('an optional point (ingress_sbox eth1) missing from the capture set does not fail the round', async () => {
    const v = await judge({ dropFiles: [ETH1] });
    expect(v.ok).toBe(true);
    expect(v.requests[0].hops.find((h) => h.id === '3-entry-sbox-eth1')?.status).toBe('not captured');
  });
  test('a required point missing makes the round inconclusive (exit 2), not proven', async () => {
    const v = await judge({ dropFiles: [OL_B] });
    expect(v.ok).toBe(false);
    expect(v.exitCode).toBe(2);
    expect(v.requests[0].hops.find((h) => h.id === '10-serving-overlay-vxlan0')?.status).toBe('not captured');
  });
  test('a capture that failed on the node is reported with its reason', async () => {
    const v = await judge({
      round: (r) => ({
        ...r,
        captures: r.captures.map((c): CaptureFile =>
          c.file.endsWith(TASK_B) ? { ...c, failed: 'tcpdump: eth0: No such device' } : c,
        ),
      }),
    });
    const h = v.requests[0].hops.find((x) => x.id === '11-serving-task-eth0');
    expect(h?.status).toBe('not captured');
    expect(h?.seen).toMatch(/No such device/);
    expect(v.exitCode).toBe(2);
  });
});

describe('correlation', () => {
  test('clock skew between nodes does not matter and is estimated', async () => {
    const shift = (f: FrameRecord) => frame(f, f.data, 5_300_000_000);
    const v = await judge({ pcaps: { [NIC_B]: shift, [OL_B]: shift, [TASK_B]: shift } });
    expect(v.ok).toBe(true);
    expect(v.clockSkewMs[B]).toBeGreaterThan(5299);
    expect(v.clockSkewMs[B]).toBeLessThan(5301);
  });
  test('a retransmitted SYN is counted, not mistaken for another request', async () => {
    const v = await judge({
      pcaps: { [NIC_A]: (f, p) => (syn('remote', false)(p) ? [frame(f), frame(f, f.data, 1_000_000_000)] : frame(f)) },
    });
    expect(v.ok).toBe(true);
    expect(v.requests[0].hops[0].retransmissions).toBe(1);
    expect(v.requests.map((r) => r.isn)).toEqual(healthy.requests.map((r) => r.isn));
  });
  test('without client ports the requests are matched to the client SYNs in order', async () => {
    const v = await judge({ round: (r) => ({ ...r, requests: r.requests.map(({ clientPort: _p, ...x }) => x) }) });
    expect(v.ok).toBe(true);
    expect(v.requests.map((r) => r.isn)).toEqual(healthy.requests.map((r) => r.isn));
  });
  test('a body naming another node than the packets fails the request', async () => {
    const v = await judge({
      round: (r) => ({
        ...r,
        requests: r.requests.map((x) => (x.index === 0 ? { ...x, body: 'Host IP is 10.211.55.22\n' } : x)),
      }),
    });
    expect(v.ok).toBe(false);
    expect(v.requests[0].notes.join()).toMatch(/packets reached the task on centos7-18 but the body names centos7-22/);
  });
  test('the /proc/net/ip_vs fallback reads the same FWM and reals', async () => {
    const v = await judge({
      snapshot: edit(
        A,
        sboxText('ipvsadm', () => ''),
      ),
    });
    expect(v.ok).toBe(true);
  });
  test('a Docker 28 host (FORWARD -> DOCKER-FORWARD -> DOCKER-INGRESS) passes with the 28 profile', async () => {
    const v = await judge({
      topology: (t) => ({ ...t, nodes: t.nodes.map((n) => ({ ...n, engineVersion: '28.5.2' })) }),
      snapshot: edit(
        A,
        hostText((t) =>
          t.replace(
            ':DOCKER-INGRESS - [0:0]\n-A FORWARD -j DOCKER-INGRESS',
            ':DOCKER-FORWARD - [0:0]\n:DOCKER-INGRESS - [0:0]\n-A FORWARD -j DOCKER-FORWARD\n-A DOCKER-FORWARD -j DOCKER-INGRESS',
          ),
        ),
      ),
    });
    expect(v.profile).toBe('docker-forward-chain');
    expect(v.ok).toBe(true);
  });
});

describe('round robin', () => {
  const tasks = [10, 20, 21].map((n, i): TaskInfo => ({
    id: `t${i}`,
    slot: i + 1,
    node: `n${i}`,
    containerId: `c${i}`,
    ingressIp: `10.0.0.${n}`,
    ingressMac: '',
    sandboxKey: '',
  }));
  const served = (...ips: number[]) =>
    ips.map((n, i) => ({ index: i, entryNode: 'n0', hops: [], ok: true, notes: [], servedTask: `10.0.0.${n}` }));
  test.each([
    [[20, 21, 10, 20, 21, 10], true],
    [[20, 21, 10], true],
    [[20, 20, 21], false],
    [[20, 21, 20], false],
    [[20, 21, 10, 10, 21, 20], false],
  ])('%j -> %s', (seq, rr) => {
    expect(distributionOf(served(...seq), tasks).roundRobin).toBe(rr);
  });
  test('each entry node has its own scheduler: interleaved entries are judged separately', () => {
    const reqs = served(20, 20, 21, 21, 10, 10).map((r, i) => ({ ...r, entryNode: i % 2 ? 'n1' : 'n0' }));
    const d = distributionOf(reqs, tasks);
    expect(d.roundRobin).toBe(true);
    expect(d.counts).toEqual({ '10.0.0.10 (n0)': 2, '10.0.0.20 (n1)': 2, '10.0.0.21 (n2)': 2 });
  });
});
