/**
 * The verify engine: from a round's captures, snapshots and requests to a verdict, path by path
 * and hop by hop. Pure: reads the pcap files the round names, nothing else (no SSH, no network).
 * Generic over paths: each selected `PathSpec` resolves its hops; the engine identifies each
 * request, finds the task the packets went to, judges every hop and names the first broken one.
 */
import { EXIT } from '../../lib/exit';
import type { NodeInfo, RequestRecord, RoundData, TaskInfo, Topology } from '../model';
import { PATHS, pathById } from '../paths';
import type { HopSpec, PathSpec } from '../paths/types';
import { LoadedCapture, loadCapture, obsTime, parseCaptureFileName, pointKey } from './captures';
import { causesFor } from './causes';
import { FlowKey, clockSkew, isClientSyn, matching } from './correlate';
import { compare, judgeClientHop, judgePacketHop, judgeStateHop } from './judge';
import { profileFor } from './profiles';
import {
  FAILING_NOTES,
  isBroken,
  type Distribution,
  type HopVerdict,
  type Note,
  type Observation,
  type PathVerdict,
  type RequestVerdict,
  type RoundVerdict,
  type StateCheck,
} from './types';

export * from './types';
export { profileFor } from './profiles';
export { captureFileName, capturesInDir, parseCaptureFileName } from './captures';

export interface EvaluateProps {
  /** Extra UDP ports to decode as VXLAN (the topology's data path port and 4789 always are). */
  readonly vxlanPorts?: readonly number[];
  /** Paths to judge; default: every registered path some request of the round names (`ingress` when none do). */
  readonly paths?: readonly PathSpec[];
}

type Caps = ReadonlyMap<string, LoadedCapture>;

// eslint-disable-next-line @typescript-eslint/require-await -- a stable async API that callers await
export async function evaluate(input: RoundData, opts: EvaluateProps = {}): Promise<RoundVerdict> {
  const round = withTaskIfaces(input);
  const t = round.topology;
  const caps = loadCaptures(round, new Set([4789, t.ingress.dataPathPort, ...(opts.vxlanPorts ?? [])]));
  const specs = opts.paths ?? pathsOfRound(round);
  const skew: Array<{ node: string; deltaMs: number }> = [];
  const judged = specs.map((spec) => judgePath(spec, round, caps, skew));
  return roundVerdict(round, caps, judged, skew);
}

/**
 * Round files written before discovery recorded each task's ingress interface: take it from the
 * task's own capture file (its name carries the interface), so the hops name the point captured.
 */
export function withTaskIfaces(round: RoundData): RoundData {
  if (round.topology.service.tasks.every((x) => x.ingressIface)) return round;
  const tasks = round.topology.service.tasks.map((x): TaskInfo => {
    if (x.ingressIface) return x;
    const c = round.captures.find(
      (c) => c.ns === 'task' && c.containerId && x.containerId.startsWith(c.containerId.slice(0, 12)),
    );
    const iface = c?.iface ?? (c ? parseCaptureFileName(c.file)?.iface : undefined);
    return iface ? { ...x, ingressIface: iface } : x;
  });
  return { ...round, topology: { ...round.topology, service: { ...round.topology.service, tasks } } };
}

/** Every capture, by point; two files for one point (a retry) keep both sets of packets. */
function loadCaptures(round: RoundData, vxlanPorts: ReadonlySet<number>): Map<string, LoadedCapture> {
  const caps = new Map<string, LoadedCapture>();
  for (const c of round.captures) {
    const l = loadCapture(c, vxlanPorts);
    const prev = caps.get(l.key);
    caps.set(
      l.key,
      prev ? { ...prev, frames: prev.frames + l.frames, observations: [...prev.observations, ...l.observations] } : l,
    );
  }
  return caps;
}

function pathsOfRound(round: RoundData): PathSpec[] {
  const ids = new Set(round.requests.map((r) => r.path ?? 'ingress'));
  if (!ids.size) ids.add('ingress');
  return PATHS.filter((p) => ids.has(p.id));
}

interface JudgedPath {
  readonly verdict: PathVerdict;
  readonly state: readonly StateCheck[];
}

function judgePath(
  spec: PathSpec,
  round: RoundData,
  caps: Caps,
  skew: Array<{ node: string; deltaMs: number }>,
): JudgedPath {
  const t0 = process.hrtime.bigint();
  const t = round.topology;
  const requests = round.requests.filter((r) => (r.path ?? 'ingress') === spec.id).sort((a, b) => a.index - b.index);
  const entryNodes = new Set(requests.map((r) => r.entryNode));
  const state = [
    ...spec.stateChecks({
      topology: t,
      snapshots: round.snapshots,
      profileOf: (n: NodeInfo) => profileFor(n.engineVersion),
      entryNodes,
      requests,
    }),
  ];
  const stateById = new Map(state.map((c) => [c.id, c]));
  const used = new Set<number>();
  const verdicts = requests.map((r) => judgeRequest(spec, r, t, round.snapshots, caps, stateById, state, used, skew));
  const distribution = spec.balanced ? distributionOf(verdicts, spec.targets(t, t.nodes[0])) : undefined;
  const stateBad = state.filter((c) => isBroken(c.status));
  const firstBad = verdicts.find((v) => v.firstBroken);
  const failingNote = verdicts.find((v) => v.notes.some((n) => FAILING_NOTES.has(n.kind)));
  const ok =
    verdicts.length > 0 &&
    verdicts.every((v) => v.ok) &&
    state.every((c) => c.status === 'ok') &&
    (distribution?.roundRobin ?? true);
  const broken =
    !!firstBad ||
    !!failingNote ||
    stateBad.length > 0 ||
    (!!distribution && !distribution.roundRobin && verdicts.length > 0);
  const exitCode = ok ? EXIT.ok : broken ? EXIT.fail : EXIT.inconclusive;
  const noAnswer = verdicts.find((v) => v.notes.some((n) => n.kind === 'no-answer'));
  const summary =
    verdicts.length === 0
      ? 'no requests in the round: nothing to prove'
      : ok
        ? `path proven for ${verdicts.length} request(s)${distribution ? `; ${distribution.detail}` : ''}`
        : noAnswer
          ? `request ${noAnswer.index}: ${noAnswer.notes.find((n) => n.kind === 'no-answer')?.text}`
          : firstBad?.firstBroken
            ? `request ${firstBad.index}: first broken hop ${firstBad.firstBroken.hop} (${firstBad.firstBroken.title})`
            : stateBad.length
              ? `state check failed: ${stateBad[0].node} ${stateBad[0].title}: ${stateBad[0].seen}`
              : failingNote
                ? `request ${failingNote.index}: ${failingNote.notes.find((n) => FAILING_NOTES.has(n.kind))?.text}`
                : distribution && !distribution.roundRobin
                  ? `not round robin: ${distribution.detail}`
                  : 'not enough captured to judge every hop';
  const firstBroken = firstBad?.firstBroken
    ? { request: firstBad.index, ...firstBad.firstBroken }
    : stateBad.length
      ? {
          request: -1,
          hop: stateBad[0].id,
          title: `${stateBad[0].node} ${stateBad[0].title}`,
          causes: [{ text: stateBad[0].seen, status: 'confirmed' as const, evidence: stateBad[0].seen }],
        }
      : undefined;
  const timeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    state,
    verdict: {
      id: spec.id,
      title: spec.title,
      ok,
      exitCode,
      summary,
      requests: verdicts,
      state: state.map((c) => c.id),
      ...(distribution ? { distribution } : {}),
      ...(firstBroken ? { firstBroken } : {}),
      timeMs: Math.round(timeMs * 10) / 10,
    },
  };
}

function bodyNodeOf(t: Topology, r: RequestRecord): string | undefined {
  // The lab's web image answers `Host IP is <node ip>`.
  const ip = /Host IP is (\d+\.\d+\.\d+\.\d+)/.exec(r.body ?? '')?.[1];
  return ip ? (t.nodes.find((n) => n.ip === ip)?.name ?? ip) : undefined;
}

function judgeRequest(
  spec: PathSpec,
  r: RequestRecord,
  t: Topology,
  snapshots: RoundData['snapshots'],
  caps: Caps,
  stateById: ReadonlyMap<string, StateCheck>,
  state: readonly StateCheck[],
  used: Set<number>,
  skew: Array<{ node: string; deltaMs: number }>,
): RequestVerdict {
  const notes: Note[] = [];
  const entry = t.nodes.find((n) => n.name === r.entryNode);
  const empty = { path: spec.id, index: r.index, entryNode: r.entryNode, hops: [], ok: false };
  if (!entry)
    return { ...empty, notes: [{ kind: 'no-entry', text: `entry node ${r.entryNode} is not in the topology` }] };
  if (r.error) notes.push({ kind: 'client-error', text: `client error: ${r.error}` });
  if (r.status !== undefined && r.status !== 200) notes.push({ kind: 'http-status', text: `HTTP status ${r.status}` });
  const candidates = spec.targets(t, entry);
  if (!candidates.length)
    return { ...empty, notes: [...notes, { kind: 'no-tasks', text: 'the topology lists no tasks' }] };
  const resolve = (target: TaskInfo, clientPort?: number) =>
    spec.resolve({ topology: t, entry, target, request: r, ...(clientPort ? { clientPort } : {}) });

  // 1. Identify the request: the client's SYN where it is recognisable before any NAT picks a target.
  // Where NAT picked the target before the first capture (IPVS inside a client task), each
  // candidate's identifying hop differs: the earliest SYN not yet taken by an earlier request wins.
  const syn = candidates
    .map((x) => identify(resolve(x, r.clientPort), caps, r.clientPort, used))
    .filter((o): o is Observation => !!o)
    .sort((a, b) => obsTime(a) - obsTime(b))[0];
  let key: FlowKey | undefined = syn
    ? { isn: syn.seq, ...(syn.tsval !== undefined ? { tsval: syn.tsval } : {}) }
    : undefined;
  if (syn) used.add(syn.seq);
  const clientPort = r.clientPort ?? syn?.sport;

  // 2. The server's ISN, from any SYN-ACK of this connection, to follow the answer's data.
  if (key) {
    const sa = [...caps.values()].flatMap((l) => matching(l.observations, key as FlowKey, 'synack'))[0];
    if (sa) key = { ...key, serverIsn: sa.seq };
  }

  // 3. The served task: the candidate whose own hops (those that differ between candidates) the packets follow.
  const bodyNode = bodyNodeOf(t, r);
  const found = key ? servedTarget(candidates, (x) => resolve(x, clientPort), caps, key) : undefined;
  let task = found;
  if (!task && bodyNode) {
    task = candidates.find((x) => x.node === bodyNode);
    if (task)
      notes.push({
        kind: 'served-from-body',
        text: `served task taken from the HTTP body (no packet evidence): ${task.ingressIp} on ${task.node}`,
      });
  }
  if (!task) {
    notes.push(
      key
        ? { kind: 'unreached', text: `SYN seq ${key.isn} reached no task (no capture shows it at a task address)` }
        : { kind: 'unidentified', text: 'request not identified at the entry node' },
    );
    task = candidates.find((x) => x.node !== entry.name) ?? candidates[0];
  }

  // 4. Every hop of that task's path.
  const path = resolve(task, clientPort);
  const hops = judgeHops(path, caps, key, stateById, r);
  if (found && key) sampleSkew(t, entry, found, key, caps, skew);
  if (found && bodyNode && found.node !== bodyNode)
    notes.push({
      kind: 'body-mismatch',
      text: `packets reached the task on ${found.node} but the body names ${bodyNode}`,
    });

  // 5. The first broken hop in path order: a captured point that lacks the packet counts, optional or not.
  const broken = hops.find((h) => isBroken(h.status));
  const noAnswer = broken ? noAnswerNote(hops, broken) : undefined;
  if (noAnswer) notes.push(noAnswer);
  const ok =
    hops.every((h) => h.status === 'ok' || (h.optional && h.status === 'not captured')) &&
    !notes.some((n) => FAILING_NOTES.has(n.kind));
  return {
    path: spec.id,
    index: r.index,
    entryNode: r.entryNode,
    ...(clientPort ? { clientPort } : {}),
    ...(key ? { isn: key.isn, ...(key.tsval !== undefined ? { tsval: key.tsval } : {}) } : {}),
    ...(key?.serverIsn !== undefined ? { serverIsn: key.serverIsn } : {}),
    variant: spec.variantOf(entry, task),
    ...(found ? { servedTask: found.ingressIp, servedNode: found.node } : {}),
    ...(bodyNode ? { bodyNode } : {}),
    hops,
    ok,
    ...(broken
      ? {
          firstBroken: {
            hop: broken.id,
            title: broken.title,
            causes: causesFor({ hop: broken, topology: t, snapshots, state, entry, task }),
          },
        }
      : {}),
    notes,
  };
}

function judgeHops(
  path: readonly HopSpec[],
  caps: Caps,
  key: FlowKey | undefined,
  stateById: ReadonlyMap<string, StateCheck>,
  r: RequestRecord,
): HopVerdict[] {
  return path.map((h) => {
    if (h.kind === 'state') return judgeStateHop(h, stateById);
    if (h.kind === 'client') return judgeClientHop(h, r);
    // On a host NIC the same segment legitimately passes twice: plain and in VXLAN.
    const k = h.point ? pointKey(h.point) : '';
    const both = path.some(
      (o) =>
        o.point &&
        pointKey(o.point) === k &&
        o.expect?.match === h.expect?.match &&
        !!o.expect?.vxlan !== !!h.expect?.vxlan,
    );
    return judgePacketHop(h, caps, key, both);
  });
}

/** The client's SYN at the first identifying hop that shows one not yet taken by an earlier request. */
function identify(
  path: readonly HopSpec[],
  caps: Caps,
  clientPort: number | undefined,
  used: ReadonlySet<number>,
): Observation | undefined {
  for (const h of path) {
    if (!h.identifies || !h.point || !h.expect) continue;
    const e = h.expect;
    const seen = new Set<number>();
    // First transmission of each ISN matching the client side of the expectation (ports, addresses).
    const syns = (caps.get(pointKey(h.point))?.observations ?? []).filter((o) => {
      if (!isClientSyn(o) || o.vxlan || seen.has(o.seq)) return false;
      if (compare({ ...e, ethDst: undefined, sport: undefined }, o).length) return false;
      seen.add(o.seq);
      return true;
    });
    const pick =
      clientPort !== undefined
        ? syns.find((o) => o.sport === clientPort && !used.has(o.seq))
        : syns.find((o) => !used.has(o.seq));
    if (pick) return pick;
  }
  return undefined;
}

function servedTarget(
  candidates: readonly TaskInfo[],
  resolve: (x: TaskInfo) => readonly HopSpec[],
  caps: Caps,
  key: FlowKey,
): TaskInfo | undefined {
  const resolved = candidates.map((x) => ({ x, hops: resolve(x).filter((h) => h.kind === 'packet') }));
  const sig = (h: HopSpec) => JSON.stringify([h.id, h.point, h.expect]);
  const common = new Set(
    resolved[0].hops.map(sig).filter((s) => resolved.every((c) => c.hops.some((h) => sig(h) === s))),
  );
  let best: { x: TaskInfo; score: number } | undefined;
  for (const c of resolved) {
    const own = c.hops.filter((h) => !common.has(sig(h)) && h.expect?.match === 'syn');
    const score = own.filter((h) => judgePacketHop(h, caps, key).status === 'ok').length;
    if (score > 0 && (!best || score > best.score)) best = { x: c.x, score };
  }
  return best?.x;
}

/** "The task accepted but never answered": the handshake and the request made it, the answer did not. */
function noAnswerNote(hops: readonly HopVerdict[], broken: HopVerdict): Note | undefined {
  if (broken.phase !== 'response' || broken.kind !== 'packet') return undefined;
  if (hops.some((h) => h.phase !== 'response' && isBroken(h.status))) return undefined;
  const atTask = broken.ns === 'task';
  return {
    kind: 'no-answer',
    text: atTask
      ? `the task accepted the connection and got the request but never answered (no answer data left it: hop ${broken.id})`
      : `the task answered but the answer stopped at hop ${broken.id} (${broken.title})`,
  };
}

function sampleSkew(
  t: Topology,
  entry: NodeInfo,
  task: TaskInfo,
  key: FlowKey,
  caps: Caps,
  skew: Array<{ node: string; deltaMs: number }>,
): void {
  if (task.node === entry.name) return;
  const serving = t.nodes.find((n) => n.name === task.node);
  if (!serving) return;
  const at = (n: NodeInfo) =>
    caps
      .get(pointKey({ node: n.name, ns: 'host', iface: n.nic }))
      ?.observations.find((o) => o.vxlan && isClientSyn(o) && o.seq === key.isn);
  const out = at(entry);
  const inn = at(serving);
  if (out && inn) skew.push({ node: serving.name, deltaMs: (obsTime(inn) - obsTime(out)) * 1000 });
}

function roundVerdict(
  round: RoundData,
  caps: Caps,
  judged: readonly JudgedPath[],
  skew: ReadonlyArray<{ node: string; deltaMs: number }>,
): RoundVerdict {
  const t = round.topology;
  const paths = judged.map((j) => j.verdict);
  const seen = new Set<string>();
  const state = judged.flatMap((j) => j.state).filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
  const ok = paths.length > 0 && paths.every((p) => p.ok);
  const exitCode = ok ? EXIT.ok : paths.some((p) => p.exitCode === EXIT.fail) ? EXIT.fail : EXIT.inconclusive;
  const bad = paths.find((p) => p.exitCode === EXIT.fail) ?? paths.find((p) => !p.ok);
  const summary =
    paths.length === 1
      ? paths[0].summary
      : ok
        ? `${paths.length} paths proven: ${paths.map((p) => `${p.id} (${p.requests.length} request(s))`).join(', ')}`
        : `${bad?.id}: ${bad?.summary}`;
  const fb = paths.find((p) => p.firstBroken);
  const distribution = paths.find((p) => p.distribution)?.distribution ?? distributionOf([], t.service.tasks);
  return {
    ok,
    exitCode,
    summary,
    profile: [...new Set(t.nodes.map((n) => profileFor(n.engineVersion).name))].join(', '),
    engineVersion: [...new Set(t.nodes.map((n) => n.engineVersion))].join(', '),
    paths,
    requests: paths.flatMap((p) => p.requests),
    state,
    distribution,
    clockSkewMs: clockSkew(skew),
    ...(fb?.firstBroken ? { firstBroken: { ...fb.firstBroken, path: fb.id } } : {}),
    captures: [...caps.values()].map((l) => ({
      point: l.key,
      file: l.capture.file,
      frames: l.frames,
      tcp: l.observations.length,
      ...(l.problem ? { problem: l.problem } : {}),
    })),
  };
}

/**
 * Round robin over all tasks: consecutive answered requests to one entry node (each node's
 * ingress_sbox has its own IPVS scheduler) cycle through every task, so each window of
 * (number of tasks) requests hits distinct tasks and no task is skipped.
 */
export function distributionOf(verdicts: readonly RequestVerdict[], tasks: readonly TaskInfo[]): Distribution {
  const answered = verdicts.filter((v) => v.servedTask);
  const nodeOf = (ip: string) => tasks.find((x) => x.ingressIp === ip)?.node ?? ip;
  const label = (ip: string) => `${ip} (${nodeOf(ip)})`;
  const counts: Record<string, number> = {};
  for (const x of tasks) counts[label(x.ingressIp)] = 0;
  for (const v of answered) counts[label(v.servedTask as string)] += 1;
  const n = tasks.length;
  const byEntry = new Map<string, string[]>();
  for (const v of answered) byEntry.set(v.entryNode, [...(byEntry.get(v.entryNode) ?? []), v.servedTask as string]);
  const cycles = (served: string[]): boolean => {
    for (let i = 0; i + 1 < served.length; i++) {
      const win = served.slice(i, i + n);
      if (new Set(win).size !== win.length) return false;
    }
    return served.length < n || new Set(served).size === n;
  };
  const rr = answered.length > 0 && [...byEntry.values()].every(cycles);
  const sequence = answered.map((v) => nodeOf(v.servedTask as string));
  const detail =
    answered.length === 0
      ? 'no request reached a task'
      : `${answered.length} request(s) served by ${sequence.join(' -> ')}; ${rr ? 'round robin over' : 'NOT round robin over'} ${n} task(s)` +
        (byEntry.size > 1 ? ` (per entry node: ${[...byEntry.keys()].join(', ')})` : '');
  return { counts, sequence, roundRobin: rr, detail };
}

export { pathById };
