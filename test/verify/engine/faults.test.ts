/**
 * The engine on a real bookworm round (test/fixtures/lab/debian12-docker20, Docker 20.10.24):
 * - each packet hop of the ingress path removed from the real pcaps (remote and local request)
 *   fails with exactly that hop named first, and the hops before it still proven;
 * - the faults a user meets, applied to the real round's pcaps and snapshots as they show on a
 *   live lab: a DROP at the top of FORWARD, a flow that dies in the entry host's forward path,
 *   an emptied DOCKER-INGRESS, an IPVS real server at weight 0, a task that accepts but never
 *   answers (SIGSTOP'd server). Each is blamed at the right hop with its cause confirmed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT } from '../../../lib/exit';
import { readRoundFile } from '../../../verify/cli';
import type { DecodedPacket, FrameRecord } from '../../../verify/decode';
import { evaluate } from '../../../verify/engine';
import { captureFileName, pointKey } from '../../../verify/engine/captures';
import type { HopVerdict, RequestVerdict, RoundVerdict } from '../../../verify/engine';
import type { NodeSnapshot, RoundData } from '../../../verify/model';
import type { PacketExpect } from '../../../verify/paths/types';
import { rewriteCapture, tcpLayer } from '../pcap-writer';
import { tmpDir } from './minilab';

const FIX = path.resolve(__dirname, '../../fixtures/lab/debian12-docker20/round.json');
const tmp: string[] = [];
let round: RoundData;
let healthy: RoundVerdict;
beforeAll(async () => {
  round = readRoundFile(FIX);
  healthy = await evaluate(round);
});
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

type Drop = (p: DecodedPacket) => boolean;

/** A segment of one request, as the hop's `expect.match` names it. */
function segment(r: RequestVerdict, match: PacketExpect['match'], vxlan?: boolean): Drop {
  const isn = r.isn as number;
  const srv = r.serverIsn as number;
  return (p) => {
    const t = tcpLayer(p).tcp;
    if (!t || (vxlan !== undefined && !!p.vxlan !== vxlan)) return false;
    if (match === 'syn') return t.flags.syn && !t.flags.ack && t.seq === isn;
    if (match === 'synack') return t.flags.syn && t.flags.ack && t.ack === (isn + 1) >>> 0;
    if (match === 'request') return !t.flags.syn && t.payloadLength > 0 && t.seq === (isn + 1) >>> 0;
    return !t.flags.syn && t.payloadLength > 0 && t.seq >= (srv + 1) >>> 0 && t.seq < srv + 100000;
  };
}

/** Copy the round's pcaps, dropping frames per capture file (basename). */
function withPcaps(drops: Record<string, Drop>, r: RoundData = round): RoundData {
  const dir = tmpDir('faults');
  tmp.push(dir);
  const captures = r.captures.map((c) => {
    const out = path.join(dir, path.basename(c.file));
    const d = drops[path.basename(c.file)];
    if (d) rewriteCapture(c.file, out, (f: FrameRecord, p: DecodedPacket) => (d(p) ? null : f));
    else fs.copyFileSync(c.file, out);
    return { ...c, file: out };
  });
  return { ...r, captures };
}

const fileOf = (h: HopVerdict) => captureFileName({ ...h.point!, containerId: h.point!.containerId });
const edit = (node: string, fn: (s: NodeSnapshot) => NodeSnapshot) => (r: RoundData) => ({
  ...r,
  snapshots: r.snapshots.map((s) => (s.node === node ? fn(s) : s)),
});

test('the healthy real round passes with every hop, handshake and HTTP exchange', () => {
  expect(healthy.ok).toBe(true);
  // Every path the round holds (the bookworm fixture: all five) passes.
  expect(healthy.paths.map((p) => p.id)).toContain('ingress');
  expect(healthy.paths.map((p) => [p.id, p.ok])).toEqual(healthy.paths.map((p) => [p.id, true]));
  for (const r of healthy.requests) expect(r.hops.filter((h) => h.status !== 'ok').map((h) => h.id)).toEqual([]);
  expect(new Set(healthy.requests.map((r) => r.variant))).toEqual(new Set(['remote', 'local']));
});

describe.each([
  ['remote', 21],
  ['local', 11],
] as const)('each packet hop of a %s request removed from the real pcaps (%i hops)', (variant, count) => {
  const req = () => healthy.requests.find((r) => r.variant === variant) as RequestVerdict;
  const ids = () =>
    req()
      .hops.filter((h) => h.kind === 'packet')
      .map((h) => h.id);
  test('there are packet hops to remove', () => {
    expect(ids().length).toBe(count);
  });
  test.each(Array.from({ length: count }, (_, i) => i))('packet hop #%i', async (i) => {
    const r = req();
    const hop = r.hops.filter((h) => h.kind === 'packet')[i];
    if (!hop) return; // the local path has fewer hops; counted above
    const file = fileOf(hop);
    const original = round.captures.find((c) => path.basename(c.file) === file);
    expect(original).toBeDefined();
    const spec = hop.point!;
    // The hop's own segment at its point, in its own encapsulation only.
    const match = /SYN-ACK/.test(hop.expected)
      ? 'synack'
      : /^.*SYN seq/.test(hop.expected)
        ? 'syn'
        : /request data/.test(hop.expected)
          ? 'request'
          : 'response';
    const vx = hop.expected.startsWith('VXLAN');
    const v = await evaluate(withPcaps({ [file]: segment(r, match, vx) }));
    const got = v.requests.find((x) => x.index === r.index) as RequestVerdict;
    expect({ hop: hop.id, at: pointKey(spec), first: got.firstBroken?.hop }).toEqual({
      hop: hop.id,
      at: pointKey(spec),
      first: hop.id,
    });
    expect(got.hops.find((h) => h.id === hop.id)?.status).toBe('missing');
    expect(v.exitCode).toBe(EXIT.fail);
    const before = got.hops.slice(
      0,
      got.hops.findIndex((h) => h.id === hop.id),
    );
    expect(before.filter((h) => h.status !== 'ok').map((h) => h.id)).toEqual([]);
  });
});

describe('faults a user meets, on the real round', () => {
  const entry = () => round.requests[0].entryNode;
  const remote0 = () => healthy.requests.find((r) => r.variant === 'remote') as RequestVerdict;
  /** Everything of request `r` after the entry host NIC is gone (the flow died in the entry host). */
  const diesInEntryHost = (r: RequestVerdict): Record<string, Drop> => {
    const isn = r.isn as number;
    const flow: Drop = (p) => {
      const t = tcpLayer(p).tcp;
      return (
        !!t &&
        (t.seq === isn ||
          t.ack === (isn + 1) >>> 0 ||
          t.seq === (isn + 1) >>> 0 ||
          (r.serverIsn !== undefined && t.ack === (r.serverIsn + 1) >>> 0) ||
          (r.serverIsn !== undefined && t.seq >= (r.serverIsn + 1) >>> 0 && t.seq < r.serverIsn + 100000))
      );
    };
    const out: Record<string, Drop> = {};
    for (const c of round.captures) {
      const f = path.basename(c.file);
      if (c.node === entry() && c.ns === 'host')
        out[f] = (p) => flow(p) && !(tcpLayer(p).tcp?.flags.syn && !tcpLayer(p).tcp?.flags.ack && !p.vxlan);
      else out[f] = flow;
    }
    return out;
  };
  const failed = (r: RequestRecordLike) => ({
    ...r,
    status: undefined,
    body: undefined,
    error: 'timeout after 5000 ms',
  });
  type RequestRecordLike = RoundData['requests'][number];
  const clientFailed =
    (index: number) =>
    (r: RoundData): RoundData => ({
      ...r,
      requests: r.requests.map((q) => (q.index === index ? failed(q) : q)),
    });

  test('a DROP at the top of FORWARD on the entry node fails hop 2, quoting the rule the kernel meets first', async () => {
    const r0 = remote0();
    const drop = '-A FORWARD -p tcp -m tcp --dport 9090 -j DROP';
    const changed = edit(entry(), (s) => ({
      ...s,
      host: {
        ...s.host,
        iptablesSave: s.host.iptablesSave.replace('-A FORWARD -j DOCKER-USER', `${drop}\n-A FORWARD -j DOCKER-USER`),
      },
    }))(clientFailed(r0.index)(withPcaps(diesInEntryHost(r0))));
    const v = await evaluate(changed);
    const got = v.requests.find((x) => x.index === r0.index) as RequestVerdict;
    expect(got.firstBroken?.hop).toBe('2-entry-host-dnat');
    const hop2 = got.hops.find((h) => h.id === '2-entry-host-dnat');
    expect(hop2?.status).toBe('wrong');
    expect(hop2?.seen).toContain(`the kernel meets \`${drop}\` in FORWARD before any ACCEPT for dpt:9090`);
    const cause = got.firstBroken?.causes[0];
    expect(cause).toMatchObject({ status: 'confirmed', evidence: expect.stringContaining(drop) });
    expect(v.exitCode).toBe(EXIT.fail);
    const fwd = v.state.find((c) => c.id === `${entry()}:host-forward`);
    expect(fwd?.facts).toMatchObject({ kind: 'forward', verdict: 'DROP', rule: drop, chainPath: ['FORWARD'] });
  });

  test('the flow dying in the entry host with no rule to blame is named at ingress_sbox eth1 (captured, empty), not on the overlay', async () => {
    const r0 = remote0();
    const v = await evaluate(clientFailed(r0.index)(withPcaps(diesInEntryHost(r0))));
    const got = v.requests.find((x) => x.index === r0.index) as RequestVerdict;
    // ingress_sbox eth1 is optional, but it was captured and holds nothing: that is evidence.
    expect(got.firstBroken?.hop).toBe('3-entry-sbox-eth1');
    expect(got.hops.find((h) => h.id === '3-entry-sbox-eth1')).toMatchObject({ status: 'missing', optional: true });
    const causes = got.firstBroken?.causes ?? [];
    expect(causes.find((c) => /a rule ahead of DOCKER-INGRESS/.test(c.text))?.status).toBe('not found');
    expect(causes.find((c) => /DNAT missing/.test(c.text))?.status).toBe('not found');
  });

  test('ip_forward=0 on the entry node is the confirmed cause when the snapshot shows it', async () => {
    const r0 = remote0();
    const base = clientFailed(r0.index)(withPcaps(diesInEntryHost(r0)));
    const v = await evaluate(edit(entry(), (s) => ({ ...s, host: { ...s.host, sysctls: '0\n1\n' } }))(base));
    const got = v.requests.find((x) => x.index === r0.index) as RequestVerdict;
    expect(got.firstBroken?.causes[0]).toEqual({
      text: `IP forwarding is off on ${entry()} (net.ipv4.ip_forward=0)`,
      status: 'confirmed',
      evidence: `${entry()}: net.ipv4.ip_forward = 0`,
    });
  });

  test('an emptied DOCKER-INGRESS (nat) is reported as empty, not missing', async () => {
    const changed = edit(entry(), (s) => {
      let table = '';
      const lines = s.host.iptablesSave.split('\n').filter((l) => {
        if (l.startsWith('*')) table = l;
        return !(table === '*nat' && l.startsWith('-A DOCKER-INGRESS'));
      });
      return { ...s, host: { ...s.host, iptablesSave: lines.join('\n') } };
    })(round);
    const v = await evaluate(changed);
    expect(v.firstBroken?.hop).toBe('2-entry-host-dnat');
    const dnat = v.state.find((c) => c.id === `${entry()}:host-dnat`);
    expect(dnat?.seen).toBe('DOCKER-INGRESS exists in the nat table but is empty (no rules)');
    expect(dnat?.facts).toMatchObject({ kind: 'dnat', chainState: 'empty' });
    expect(v.firstBroken?.causes[0]).toMatchObject({
      status: 'confirmed',
      text: expect.stringMatching(/DNAT missing/),
    });
  });

  test('an IPVS real server at weight 0 fails "real servers = tasks" as not scheduled', async () => {
    const changed = edit(entry(), (s) => ({
      ...s,
      sbox: { ...s.sbox, ipvsadm: s.sbox.ipvsadm.replace(/(-> 10\.0\.0\.7:0\s+Masq\s+)1/, '$10') },
    }))(round);
    const v = await evaluate(changed);
    const reals = v.state.find((c) => c.id === `${entry()}:sbox-ipvs-reals`);
    expect(reals?.status).toBe('wrong');
    expect(reals?.seen).toMatch(/10\.0\.0\.7 weight 0: not scheduled/);
    expect(reals?.facts).toMatchObject({
      kind: 'ipvs-reals',
      reals: expect.arrayContaining([expect.objectContaining({ ip: '10.0.0.7', weight: 0, scheduled: false })]),
    });
    expect(v.firstBroken?.hop).toBe('5-entry-sbox-ipvs');
    expect(v.exitCode).toBe(EXIT.fail);
  });

  test('a task that accepts but never answers (server stopped) is its own verdict, at the hop where the answer stopped', async () => {
    const r0 = remote0();
    const task = round.topology.service.tasks.find((t) => t.ingressIp === r0.servedTask)!;
    // The kernel completes the handshake and ACKs the request; the stopped server sends nothing.
    const drops: Record<string, Drop> = {};
    for (const c of round.captures) drops[path.basename(c.file)] = segment(r0, 'response');
    const stopped = edit(task.node, (s) => ({
      ...s,
      tasks: Object.fromEntries(
        Object.entries(s.tasks).map(([k, t]) => [
          k,
          k === task.containerId
            ? { ...t, status: 'running', top: 'PID STAT COMMAND\n4242 Ts nginx\n4301 T nginx\n' }
            : t,
        ]),
      ),
    }))(clientFailed(r0.index)(withPcaps(drops)));
    const v = await evaluate(stopped);
    const got = v.requests.find((x) => x.index === r0.index) as RequestVerdict;
    expect(got.firstBroken?.hop).toBe('R13-serving-task-http-response');
    expect(got.hops.find((h) => h.id === '13-serving-task-http-request')?.status).toBe('ok');
    expect(got.hops.find((h) => h.id === 'R11-serving-task-eth0')?.status).toBe('ok');
    expect(got.notes.map((n) => n.kind)).toContain('no-answer');
    expect(v.summary).toMatch(
      /the task accepted the connection and got the request but never answered .*R13-serving-task-http-response/,
    );
    expect(got.firstBroken?.causes[0]).toMatchObject({
      status: 'confirmed',
      evidence: 'every process of the task is stopped: nginx pid 4242 state Ts, nginx pid 4301 state T',
    });
    expect(v.exitCode).toBe(EXIT.fail);
  });
});
