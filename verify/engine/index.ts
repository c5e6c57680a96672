/**
 * The verify engine: from a round's captures, snapshots and requests to a verdict, hop by hop.
 * Pure: reads the pcap files the round names, nothing else (no SSH, no network).
 */
import type { NodeInfo, RequestRecord, RoundData, TaskInfo } from '../model';
import { LoadedCapture, loadCapture, obsTime, pointKey } from './captures';
import { FlowKey, clientSyns, clockSkew, isClientSyn } from './correlate';
import { likelyCauses } from './causes';
import { judgePacketHop, judgeStateHop } from './judge';
import { expectedPath, variantOf } from './path';
import { profileFor } from './profiles';
import { stateChecks } from './state';
import type { Distribution, HopVerdict, Observation, RequestVerdict, RoundVerdict } from './types';

export * from './types';
export { expectedPath } from './path';
export { profileFor } from './profiles';
export { captureFileName, capturesInDir, parseCaptureFileName } from './captures';

export interface EvaluateProps {
  /** Extra UDP ports to decode as VXLAN (the topology's data path port and 4789 always are). */
  readonly vxlanPorts?: readonly number[];
}

// eslint-disable-next-line @typescript-eslint/require-await -- a stable async API that callers await
export async function evaluate(round: RoundData, opts: EvaluateProps = {}): Promise<RoundVerdict> {
  const t = round.topology;
  const vxlanPorts = new Set([4789, t.ingress.dataPathPort, ...(opts.vxlanPorts ?? [])]);
  const caps = new Map<string, LoadedCapture>();
  for (const c of round.captures) {
    const l = loadCapture(c, vxlanPorts);
    const prev = caps.get(l.key);
    // Two files for one point (e.g. a retry): keep both sets of packets.
    caps.set(
      l.key,
      prev ? { ...prev, frames: prev.frames + l.frames, observations: [...prev.observations, ...l.observations] } : l,
    );
  }
  const nodeByName = new Map(t.nodes.map((n) => [n.name, n]));
  const profileOf = (n: NodeInfo) => profileFor(n.engineVersion);
  const requests = [...round.requests].sort((a, b) => a.index - b.index);
  const entryNodes = new Set(requests.map((r) => r.entryNode));
  const state = stateChecks({ topology: t, snapshots: round.snapshots, profileOf, entryNodes });
  const stateById = new Map(state.map((c) => [c.id, c]));

  const used = new Set<number>();
  const skewSamples: Array<{ node: string; deltaMs: number }> = [];
  const verdicts: RequestVerdict[] = requests.map((r) => judgeRequest(r));

  function judgeRequest(r: RequestRecord): RequestVerdict {
    const notes: string[] = [];
    const entry = nodeByName.get(r.entryNode);
    if (!entry) {
      return {
        index: r.index,
        entryNode: r.entryNode,
        hops: [],
        ok: false,
        notes: [`entry node ${r.entryNode} is not in the topology`],
      };
    }
    if (r.error) notes.push(`client error: ${r.error}`);
    if (r.status !== undefined && r.status !== 200) notes.push(`HTTP status ${r.status}`);
    const syn = findClientSyn(r, entry);
    const key: FlowKey | undefined = syn
      ? { isn: syn.seq, ...(syn.tsval !== undefined ? { tsval: syn.tsval } : {}) }
      : undefined;
    if (syn) used.add(syn.seq);
    const bodyIp = /Host IP is (\d+\.\d+\.\d+\.\d+)/.exec(r.body ?? '')?.[1];
    const bodyNode = bodyIp ? (t.nodes.find((n) => n.ip === bodyIp)?.name ?? bodyIp) : undefined;
    const found = key ? servingTask(key) : undefined;
    let task = found;
    if (!task && bodyNode) {
      task = t.service.tasks.find((x) => x.node === bodyNode);
      if (task)
        notes.push(`served task taken from the HTTP body (no packet evidence): ${task.ingressIp} on ${task.node}`);
    }
    if (!task) {
      notes.push(
        key
          ? `SYN seq ${key.isn} reached no task (no capture shows it at a task address)`
          : 'request not identified at the entry node',
      );
      task = t.service.tasks.find((x) => x.node !== entry.name) ?? t.service.tasks[0];
    }
    if (!task)
      return {
        index: r.index,
        entryNode: r.entryNode,
        hops: [],
        ok: false,
        notes: [...notes, 'the topology lists no tasks'],
      };
    const clientPort = r.clientPort ?? syn?.sport;
    const path = expectedPath({ topology: t, entry, task, ...(clientPort ? { clientPort } : {}) });
    const hops: HopVerdict[] = path.map((h) => {
      if (h.kind === 'state') return judgeStateHop(h, stateById);
      // On a host NIC the same segment legitimately passes twice: plain and in VXLAN.
      const k = h.point ? pointKey(h.point) : '';
      const both = path.some((o) => o.point && pointKey(o.point) === k && !!o.expect?.vxlan !== !!h.expect?.vxlan);
      return judgePacketHop(h, caps, key, both);
    });
    if (found && key) sampleSkew(entry, found, key);
    if (found && bodyNode && found.node !== bodyNode)
      notes.push(`packets reached the task on ${found.node} but the body names ${bodyNode}`);
    const broken =
      hops.find((h) => !h.optional && (h.status === 'missing' || h.status === 'wrong')) ??
      hops.find((h) => h.status === 'missing' || h.status === 'wrong');
    const ok =
      hops.every((h) => h.status === 'ok' || (h.optional && h.status === 'not captured')) &&
      !r.error &&
      (r.status === undefined || r.status === 200) &&
      !(found && bodyNode && found.node !== bodyNode);
    return {
      index: r.index,
      entryNode: r.entryNode,
      ...(clientPort ? { clientPort } : {}),
      ...(key ? { isn: key.isn, ...(key.tsval !== undefined ? { tsval: key.tsval } : {}) } : {}),
      variant: variantOf(entry, task),
      ...(found ? { servedTask: found.ingressIp, servedNode: found.node } : {}),
      ...(bodyNode ? { bodyNode } : {}),
      hops,
      ok,
      ...(broken ? { firstBroken: { hop: broken.id, title: broken.title, causes: causesFor(broken) } } : {}),
      notes,
    };
  }

  function causesFor(h: HopVerdict): string[] {
    const out = likelyCauses(h.id, h.status, h.diffs);
    // Failed state checks on the same node are the most direct evidence: name them first.
    const node = h.point?.node;
    const stateBad = state.filter(
      (c) => c.status !== 'ok' && c.status !== 'not captured' && (!node || c.node === node),
    );
    return [...stateBad.map((c) => `state: ${c.node} ${c.title}: ${c.seen}`), ...out];
  }

  function findClientSyn(r: RequestRecord, entry: NodeInfo): Observation | undefined {
    const pub = t.service.publishedPort;
    const at = caps.get(pointKey({ node: entry.name, ns: 'host', iface: entry.nic }));
    const syns = clientSyns(at, t.client.ip, entry.ip, pub);
    const pick = (list: Observation[]) =>
      r.clientPort !== undefined
        ? list.find((o) => o.sport === r.clientPort && !used.has(o.seq))
        : list.find((o) => !used.has(o.seq));
    const direct = pick(syns);
    if (direct) return direct;
    // Entry NIC not captured: the DNAT'd SYN in ingress_sbox carries the same ISN.
    const sb = caps.get(pointKey({ node: entry.name, ns: 'sbox', iface: entry.ifaces.sboxGwbridge }));
    return pick(clientSyns(sb, t.client.ip, entry.sboxGwbridgeIp, pub));
  }

  function servingTask(key: FlowKey): TaskInfo | undefined {
    const tasks = t.service.tasks;
    // Strongest evidence: the SYN inside a task's own namespace.
    for (const l of caps.values()) {
      if (l.capture.ns !== 'task' || !l.capture.containerId) continue;
      const cid = l.capture.containerId.slice(0, 12);
      const task = tasks.find((x) => x.containerId.startsWith(cid));
      // A bridge floods frames for MACs it has not learned to every port, so a task capture
      // can show SYNs meant for other tasks: only one addressed to this task counts.
      if (task && l.observations.some((o) => isClientSyn(o) && o.seq === key.isn && o.dst === task.ingressIp))
        return task;
    }
    // Else the SYN addressed to a task IP anywhere (sbox eth0, overlay, VXLAN inner).
    for (const l of caps.values()) {
      const o = l.observations.find(
        (x) => isClientSyn(x) && x.seq === key.isn && tasks.some((k) => k.ingressIp === x.dst),
      );
      if (o) return tasks.find((k) => k.ingressIp === o.dst);
    }
    return undefined;
  }

  function sampleSkew(entry: NodeInfo, task: TaskInfo, key: FlowKey): void {
    if (task.node === entry.name) return;
    const serving = nodeByName.get(task.node);
    if (!serving) return;
    const out = caps
      .get(pointKey({ node: entry.name, ns: 'host', iface: entry.nic }))
      ?.observations.find((o) => o.vxlan && isClientSyn(o) && o.seq === key.isn);
    const inn = caps
      .get(pointKey({ node: serving.name, ns: 'host', iface: serving.nic }))
      ?.observations.find((o) => o.vxlan && isClientSyn(o) && o.seq === key.isn);
    if (out && inn) skewSamples.push({ node: serving.name, deltaMs: (obsTime(inn) - obsTime(out)) * 1000 });
  }

  const distribution = distributionOf(verdicts, t.service.tasks);
  const firstBad = verdicts.find((v) => v.firstBroken);
  const stateBad = state.filter((c) => c.status === 'missing' || c.status === 'wrong');
  // A capture that exists and lacks the packet is evidence, optional point or not.
  const anyBroken = verdicts.some(
    (v) =>
      v.hops.some((h) => h.status === 'missing' || h.status === 'wrong') ||
      v.notes.some((n) => /error|status|body names/.test(n)),
  );
  const ok =
    verdicts.length > 0 &&
    verdicts.every((v) => v.ok) &&
    stateBad.length === 0 &&
    state.every((c) => c.status === 'ok') &&
    distribution.roundRobin;
  const exitCode = ok ? 0 : anyBroken || stateBad.length || (!distribution.roundRobin && verdicts.length > 0) ? 1 : 2;
  const engineVersion = [...new Set(t.nodes.map((n) => n.engineVersion))].join(', ');
  const profiles = [...new Set(t.nodes.map((n) => profileOf(n).name))].join(', ');
  const summary =
    verdicts.length === 0
      ? 'no requests in the round: nothing to prove'
      : ok
        ? `path proven for ${verdicts.length} request(s); ${distribution.detail}`
        : firstBad?.firstBroken
          ? `request ${firstBad.index}: first broken hop ${firstBad.firstBroken.hop} (${firstBad.firstBroken.title})`
          : stateBad.length
            ? `state check failed: ${stateBad[0].node} ${stateBad[0].title}: ${stateBad[0].seen}`
            : !distribution.roundRobin
              ? `not round robin: ${distribution.detail}`
              : 'not enough captured to judge every hop';
  return {
    ok,
    exitCode,
    summary,
    profile: profiles,
    engineVersion,
    requests: verdicts,
    state,
    distribution,
    clockSkewMs: clockSkew(skewSamples),
    ...(firstBad?.firstBroken
      ? { firstBroken: { request: firstBad.index, ...firstBad.firstBroken } }
      : stateBad.length
        ? {
            firstBroken: {
              request: -1,
              hop: stateBad[0].id,
              title: `${stateBad[0].node} ${stateBad[0].title}`,
              causes: [stateBad[0].seen],
            },
          }
        : {}),
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
