/**
 * The client paths (service-vip, task-to-task, dns, egress) on real lab rounds recorded by
 * `npm run e2e` (test/fixtures/lab/<flavour>/ with a user overlay in round.json). The healthy round
 * must prove every path; then, path by path, each hop of a request that passed is taken away (its
 * packets dropped from the real pcap, or the rule/entry/answer it rests on removed from the real
 * snapshot) and the engine must fail that path naming exactly that hop.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readRoundFile } from '../../../verify/cli';
import { captureFileName } from '../../../verify/capture-plan';
import { evaluate, type HopVerdict, type RequestVerdict } from '../../../verify/engine';
import type { NodeSnapshot, RequestRecord, RoundData } from '../../../verify/model';
import { pathById } from '../../../verify/paths';
import type { HopSpec } from '../../../verify/paths/types';
import { rewriteCapture, tcpLayer } from '../pcap-writer';

const LAB_FIXTURES = path.resolve(__dirname, '../../fixtures/lab');
const CLIENT_PATHS = ['service-vip', 'task-to-task', 'dns', 'egress'] as const;
const flavours = fs.readdirSync(LAB_FIXTURES).filter((d) => {
  const f = path.join(LAB_FIXTURES, d, 'round.json');
  return fs.existsSync(f) && !!JSON.parse(fs.readFileSync(f, 'utf8')).topology.userOverlay;
});

// No real round with the client paths is committed yet (the bookworm e2e run of 2026-12-01 timed out in
// deploy on a loaded machine): the replay below runs as soon as `npm run e2e` records one.
if (!flavours.length) test.todo('replay the client paths on a real e2e round (record test/fixtures/lab/<flavour>/)');

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-paths-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The round with the packets of one request's SYN (or SYN-ACK) removed at one point. */
function dropPackets(round: RoundData, h: HopVerdict, isn: number, tag: string): RoundData {
  const p = h.point!;
  const c = round.captures.find((x) => captureFileName(x) === captureFileName(p));
  if (!c) throw new Error(`no capture for ${captureFileName(p)}`);
  const out = path.join(tmp, `${tag}-${path.basename(c.file)}`);
  const reply = h.direction === 'reply';
  rewriteCapture(c.file, out, (f, pkt) => {
    const tcp = tcpLayer(pkt).tcp;
    if (!tcp) return f;
    const hit = reply
      ? tcp.flags.syn && tcp.flags.ack && tcp.ack === (isn + 1) >>> 0
      : tcp.flags.syn && !tcp.flags.ack && tcp.seq === isn;
    return hit ? null : f;
  });
  return { ...round, captures: round.captures.map((x) => (x === c ? { ...x, file: out } : x)) };
}

type SnapEdit = (s: NodeSnapshot) => NodeSnapshot;
const withoutLines =
  (field: 'client' | 'userOverlay' | 'lb', key: string, re: RegExp): SnapEdit =>
  (s) => {
    const part = s[field] as Record<string, string> | undefined;
    if (!part) throw new Error(`${s.node}: no ${field} in the snapshot`);
    return {
      ...s,
      [field]: {
        ...part,
        [key]: part[key]
          .split('\n')
          .filter((l) => !re.test(l))
          .join('\n'),
      },
    };
  };

/** How each state check is broken in the real snapshot (or the real answers), by the check's id suffix. */
function breakCheck(round: RoundData, checkId: string): RoundData {
  const [node, what] = checkId.split(':');
  const u = round.topology.userOverlay!;
  const vipAt = u.vipAt === 'lb' ? ('lb' as const) : ('client' as const);
  const c = u.clients.find((x) => x.node === node)!;
  const edits: Record<string, SnapEdit> = {
    // The VIP checks read wherever the VIP is balanced: the network's lb namespace or the client container.
    'vip-mark': withoutLines(vipAt, 'iptablesSave', /-j MARK/),
    'vip-addr': withoutLines(vipAt, 'addr', new RegExp(`inet ${u.service.vip.replace(/\./g, '\\.')}/32`)),
    'vip-ipvs-fwm': (s) => ({ ...s, [vipAt]: { ...s[vipAt]!, ipvsadm: '', procIpvs: '' } }),
    'vip-ipvs-reals': withoutLines(vipAt, 'ipvsadm', new RegExp(`-> ${u.tasks[0].ip.replace(/\./g, '\\.')}:`)),
    'vip-snat': withoutLines(vipAt, 'iptablesSave', /--ipvs -j SNAT/),
    'client-dns-dnat': withoutLines('client', 'iptablesSave', /-d 127\.0\.0\.11\/32 -p udp .*-j DNAT/),
    'uoverlay-neigh': withoutLines('userOverlay', 'neigh', /PERMANENT/),
    'uoverlay-fdb': withoutLines('userOverlay', 'fdb', /\bdst\b/),
    'uoverlay-vxlan': (s) => ({
      ...s,
      userOverlay: { ...s.userOverlay!, vxlanLink: s.userOverlay!.vxlanLink.replace(/vxlan id \d+/, 'vxlan id 4242') },
    }),
    'host-masquerade': (s) => ({
      ...s,
      host: { iptablesSave: s.host.iptablesSave.replace(/^-A POSTROUTING .*-j MASQUERADE.*$/gm, '') },
    }),
    'host-egress-forward': (s) => ({
      ...s,
      host: {
        iptablesSave: s.host.iptablesSave.replace(
          /^(\*filter[\s\S]*?)(^-A FORWARD )/m,
          `$1-A FORWARD -i docker_gwbridge -o ${round.topology.nodes.find((n) => n.name === node)!.nic} -j DROP\n$2`,
        ),
      },
    }),
  };
  if (what === 'dns-vip' || what === 'dns-tasks') {
    // The embedded DNS answers one address fewer (tasks) or a task instead of the VIP.
    const name = what === 'dns-vip' ? u.service.name : `tasks.${u.service.name}`;
    const requests = round.requests.map((r): RequestRecord => {
      if (r.path !== 'dns' || r.entryNode !== node || r.url !== `dns:${name}`) return r;
      const body =
        what === 'dns-vip'
          ? (r.body ?? '').split(u.service.vip).join(u.tasks[0].ip)
          : (r.body ?? '')
              .split('\n')
              .filter((l) => !l.includes(u.tasks[0].ip))
              .join('\n');
      return { ...r, body };
    });
    return { ...round, requests };
  }
  const edit = edits[what];
  if (!edit) throw new Error(`no breakage for check ${checkId}`);
  void c;
  return { ...round, snapshots: round.snapshots.map((s) => (s.node === node ? edit(s) : s)) };
}

(flavours.length ? describe.each(flavours) : () => () => undefined)('real lab %s: client paths', (flavour) => {
  const dir = path.join(LAB_FIXTURES, flavour);
  let round: RoundData;
  beforeAll(() => {
    round = readRoundFile(path.join(dir, 'round.json'));
  });

  test('the healthy round proves every client path, both variants where they exist', async () => {
    const v = await evaluate(round);
    for (const id of CLIENT_PATHS) {
      const p = v.paths.find((x) => x.id === id);
      expect({ id, summary: p?.summary, ok: p?.ok }).toEqual({ id, summary: p?.summary, ok: true });
      expect(p!.requests.length).toBeGreaterThan(0);
    }
    const variants = (id: string) => new Set(v.paths.find((x) => x.id === id)!.requests.map((r) => r.variant));
    expect(variants('service-vip')).toEqual(new Set(['local', 'remote']));
    expect(variants('task-to-task')).toEqual(new Set(['local', 'remote']));
    expect(v.ok).toBe(true);
    expect(v.exitCode).toBe(0);
  });

  test.each(CLIENT_PATHS)('%s: every hop taken away fails the path naming that hop', async (id) => {
    const healthy = await evaluate(round);
    const pv = healthy.paths.find((p) => p.id === id)!;
    // One request per variant: its hops are the path's hops for that variant.
    const byVariant = new Map<string, RequestVerdict>();
    for (const r of pv.requests) if (r.ok && !byVariant.has(r.variant ?? '')) byVariant.set(r.variant ?? '', r);
    const spec = pathById(id)!;
    expect(byVariant.size).toBe(spec.variants.length);
    const tried: string[] = [];
    for (const req of byVariant.values()) {
      for (const h of req.hops) {
        let broken: RoundData;
        if (h.kind === 'packet') broken = dropPackets(round, h, req.isn!, `${id}-${req.index}-${h.id}`);
        else if (h.kind === 'state') {
          const entry = round.topology.nodes.find((n) => n.name === req.entryNode)!;
          const targets = spec.targets(round.topology, entry);
          const target = targets.find((x) => x.ingressIp === req.servedTask) ?? targets[0];
          const specHop: HopSpec | undefined = spec
            .resolve({ topology: round.topology, entry, target })
            .find((x) => x.id === h.id);
          const checks = specHop?.checks ?? [];
          broken = breakCheck(round, checks[0]);
        } else {
          broken = {
            ...round,
            requests: round.requests.map((r) =>
              r.index === req.index ? { ...r, body: (r.body ?? '').replace(/\d+\.\d+\.\d+\.\d+/g, '192.0.2.1') } : r,
            ),
          };
        }
        const v = await evaluate(broken);
        const p = v.paths.find((x) => x.id === id)!;
        const named = [p.firstBroken?.hop, ...p.requests.map((r) => r.firstBroken?.hop)];
        expect({ hop: h.id, ok: p.ok, named: named.includes(h.id) }).toEqual({ hop: h.id, ok: false, named: true });
        tried.push(h.id);
      }
    }
    expect(tried.length).toBeGreaterThan(2);
  });
});
