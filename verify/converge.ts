/**
 * A lab in flux is named, not judged. Before a round: read the service's UpdateStatus and its
 * tasks' desired/current states (IntentFacts); while it converges, wait a bounded time with one
 * progress line per poll, then judge, or stop with "still converging after N s" (EXIT.inconclusive).
 * During a round: a namespace or container that disappears (a task replaced mid-round) is retried
 * once after the service settles, then named in one line.
 */
import { EXIT, SwarmLabError } from '../lib/exit';
import type { IntentFacts, IntentTask } from './discover-intent';

/** Task states that are final: the task will not run again (history kept by swarm). */
const TERMINAL = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);
/** UpdateStatus states while swarm is still changing the service. */
const MOVING_UPDATE = new Set(['updating', 'rollback_started']);

export interface Flux {
  readonly converging: boolean;
  /** Why, one clause each (update state, tasks not yet running or not yet stopped, replica count). */
  readonly reasons: readonly string[];
  /** `2/3 running` for progress lines. */
  readonly progress: string;
}

const taskName = (service: string, t: IntentTask): string =>
  `${service}.${t.slot ?? t.nodeId.slice(0, 8)} (${t.id.slice(0, 12)}${t.node ? ` on ${t.node}` : ''})`;

/** Is the service still converging? Pure: reads the facts only. */
export function fluxOf(f: IntentFacts): Flux {
  const s = f.service;
  if (!s) {
    // A manager too busy to answer (rpc DeadlineExceeded) is not a missing service: wait, do not judge.
    const busy = f.serviceError !== undefined && !/no such service|not found/i.test(f.serviceError);
    return busy
      ? { converging: true, reasons: [`service unreadable: ${f.serviceError}`], progress: 'service unreadable' }
      : { converging: false, reasons: [], progress: 'no service' };
  }
  const reasons: string[] = [];
  if (s.update && MOVING_UPDATE.has(s.update.state))
    reasons.push(`update ${s.update.state}${s.update.message ? ` (${s.update.message})` : ''}`);
  const live = f.tasks.filter((t) => !TERMINAL.has(t.state));
  const wantRunning = f.tasks.filter((t) => t.desiredState === 'running');
  const running = wantRunning.filter((t) => t.state === 'running');
  for (const t of wantRunning.filter((x) => x.state !== 'running'))
    reasons.push(`task ${taskName(s.name, t)} ${t.state}${t.error ? `: ${t.error}` : ''}`);
  for (const t of live.filter((x) => x.desiredState !== 'running'))
    reasons.push(`task ${taskName(s.name, t)} still ${t.state}, desired ${t.desiredState}`);
  if (s.mode === 'replicated' && s.replicas !== undefined && wantRunning.length !== s.replicas)
    reasons.push(`${wantRunning.length} task(s) scheduled for ${s.replicas} replica(s)`);
  const of = s.replicas ?? wantRunning.length;
  return { converging: reasons.length > 0, reasons, progress: `${running.length}/${of} running` };
}

export interface SettleProps {
  /** Longest wait, seconds. */
  readonly timeoutS: number;
  /** Poll interval, ms (default 3000). */
  readonly pollMs?: number;
  readonly log: (node: string, step: string, detail: string) => void;
  /** For tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface Settled {
  readonly facts: IntentFacts;
  /** Seconds waited for the service to converge (0 when it was steady at once). */
  readonly waitedS: number;
  /** Reads it took: 1 when the first read found the service steady. */
  readonly reads: number;
}

/** Poll `read` until the service is steady; throw EXIT.inconclusive "still converging after N s" past the timeout. */
export async function settle(read: () => Promise<IntentFacts>, props: SettleProps): Promise<Settled> {
  const now = props.now ?? Date.now;
  const sleep = props.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const t0 = now();
  for (let reads = 1; ; reads++) {
    const facts = await read();
    const name = facts.service?.name ?? 'the service';
    const flux = fluxOf(facts);
    const waited = Math.round((now() - t0) / 1000);
    if (!flux.converging) {
      if (reads > 1) props.log('*', 'converge', `${name} steady after ${waited} s (${flux.progress})`);
      return { facts, waitedS: waited, reads };
    }
    if (waited >= props.timeoutS || props.signal?.aborted)
      throw new SwarmLabError(
        EXIT.inconclusive,
        `service ${name} still converging after ${waited} s (${flux.progress}): ${flux.reasons.join('; ')}`,
        {
          subject: name,
          fix: `wait for \`docker service ps ${name}\` to settle and run verify again, or raise --converge-timeout`,
        },
      );
    props.log(
      '*',
      'converge',
      `${name} converging (${flux.progress}; ${flux.reasons.slice(0, 2).join('; ')}${flux.reasons.length > 2 ? `; +${flux.reasons.length - 2} more` : ''}); waiting ${waited}/${props.timeoutS} s`,
    );
    await sleep(props.pollMs ?? 3000);
  }
}

/** Running task ids, to tell whether a task was replaced between two reads. */
export function runningTaskIds(f: IntentFacts): string[] {
  return f.tasks
    .filter((t) => t.desiredState === 'running' && t.state === 'running')
    .map((t) => t.id)
    .sort();
}

/**
 * A failure that means "something vanished under us" (a task replaced, its namespace gone), not a
 * broken lab: nsenter could not enter a namespace, docker lost the container or the netns file.
 */
export function vanishedWhat(message: string): string | undefined {
  const ns = /reassociate to namespace '([^']+)' failed|nsenter: (?:cannot open|can't open) ([^\s:]+)/.exec(message);
  if (ns) {
    const file = /--net=(\S+)/.exec(message)?.[1]?.replace(/^'|'$/g, '');
    return `namespace ${file ?? ns[1] ?? ns[2]}`;
  }
  const c = /No such (container|object|task): ?(\S+)/i.exec(message);
  if (c) return `${c[1].toLowerCase()} ${c[2].slice(0, 12)}`;
  return undefined;
}

export interface SteadyRoundProps extends SettleProps {
  /** Read the intent facts (one SSH round trip from a manager). */
  readonly read: () => Promise<IntentFacts>;
}

/**
 * Run a round on a steady service: settle, run, re-read; when a task was replaced during the round
 * or a namespace/container vanished, settle again and retry once; the second time, name it.
 */
export async function steadyRound<R>(
  /** One round; it calls `trafficDone` when its traffic is over, so the second read overlaps the pcap download. */
  run: (trafficDone: () => void) => Promise<R>,
  props: SteadyRoundProps,
): Promise<{ round: R; facts: IntentFacts; waitedS: number; retried?: string }> {
  let retried: string | undefined;
  let waitedS = 0;
  for (let attempt = 1; ; attempt++) {
    // A node without docker or a swarm fails the read; discovery names that better (tool, daemon, swarm state),
    // so the read's error waits until the round has run.
    let unread: unknown;
    let reading: Promise<IntentFacts> | undefined;
    const trafficDone = () => {
      reading ??= props.read();
      reading.catch(() => undefined);
    };
    // The round starts beside the first read (each costs seconds on TCG): on a steady service, the
    // common case, it is kept; if the read had to wait for the service to converge, the round is
    // dropped once it ends and run again. The read after the round still compares the tasks.
    let running = run(trafficDone);
    running.catch(() => undefined);
    const before = await settle(props.read, props).catch(async (e: unknown) => {
      if (e instanceof SwarmLabError && e.exitCode === EXIT.inconclusive) {
        await running.catch(() => undefined);
        throw e;
      }
      unread = e;
      return undefined;
    });
    waitedS += before?.waitedS ?? 0;
    if (before && before.reads > 1) {
      await running.catch(() => undefined);
      reading = undefined;
      running = run(trafficDone);
    }
    let round: R;
    try {
      round = await running;
    } catch (e) {
      if (!before) throw e;
      let what = vanishedWhat(errorText(e));
      // Any other failure while the service changed under the round (a task replaced) counts the same way.
      if (!what) {
        const now = await props.read().catch(() => undefined);
        if (
          !now ||
          (runningTaskIds(now).join(',') === runningTaskIds(before.facts).join(',') && !fluxOf(now).converging)
        )
          throw e;
        what = 'a task';
      }
      const node = (e as { node?: string }).node ?? (e as { cause?: { node?: string } }).cause?.node;
      const line = `${what}${node ? ` on ${node}` : ''} disappeared mid-round (${firstLine(e)})`;
      if (attempt >= 2)
        throw new SwarmLabError(EXIT.inconclusive, `${line}, again after one retry; the service is still changing`, {
          fix: `check \`docker service ps ${before.facts.service?.name}\` for tasks being replaced and run verify again`,
          cause: e,
        });
      props.log('*', 'converge', `${line}; waiting for the service and retrying once`);
      retried = line;
      continue;
    }
    if (!before) throw unread;
    const after = await (reading ?? props.read());
    const a = runningTaskIds(before.facts).join(',');
    const b = runningTaskIds(after).join(',');
    if (a === b && !fluxOf(after).converging) return { round, facts: after, waitedS, ...(retried ? { retried } : {}) };
    const line = `the service changed during the round (running tasks ${a.split(',').length} -> ${b ? b.split(',').length : 0}, ${fluxOf(after).reasons[0] ?? 'task replaced'})`;
    if (attempt >= 2)
      throw new SwarmLabError(EXIT.inconclusive, `${line}, again after one retry; not judged`, {
        fix: 'wait until nothing updates the service and run verify again',
      });
    props.log('*', 'converge', `${line}; retrying once`);
    retried = line;
  }
}

interface ErrorLike {
  readonly message?: unknown;
  readonly stderr?: unknown;
  readonly command?: unknown;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
}

/** The texts of an error, its causes and its grouped errors (an AggregateError's `errors`, e.g. SshPool.all's NodesError). */
function errorText(e: unknown): string {
  const txt = (v: unknown): string => (typeof v === 'string' ? v : '');
  const parts: string[] = [];
  for (let x = e as ErrorLike | undefined, i = 0; x && i < 5; x = x.cause as ErrorLike | undefined, i++) {
    parts.push(typeof x === 'string' ? x : txt(x.message), txt(x.stderr), txt(x.command));
    for (const o of (x.errors ?? []) as readonly ErrorLike[]) parts.push(txt(o?.message), txt(o?.stderr));
  }
  return parts.join('\n');
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0].slice(0, 200);
}
