/**
 * One verify round against a deployed lab, up to the engine: connect, discover, snapshot,
 * capture at every point while sending the requests, collect the pcaps, save `round.json`.
 * Captures are always stopped and removed from the nodes, also when the round fails or is aborted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CaptureSession } from './capture';
import { planCaptures } from './capture-plan';
import { discover } from './discover';
import { snapshotAll } from './discover-snapshot';
import type { RoundData } from './model';
import { selectPaths } from './paths';
import type { PathSpec } from './paths/types';
import type { SshPool } from './ssh';
import { generateTraffic, TrafficDialer } from './traffic';

export interface RoundProps {
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly ip: string }>;
  readonly clientIp: string;
  readonly service: string;
  /** Node whose published port the requests go to. Default: the first node. */
  readonly entryNode?: string;
  /** Requests in the round. Default 6 (two per task on a 3-replica service). */
  readonly requests?: number;
  /** Paths to capture for (verify/paths). Default: `ingress`. */
  readonly paths?: readonly PathSpec[];
  /** Capture in ingress_sbox too. Default true. */
  readonly sbox?: boolean;
  /** Output directory of this round (pcaps/, round.json). */
  readonly outDir: string;
  readonly signal?: AbortSignal;
  /** Docker's netns dir (`<exec-root>/netns`), or per node. Default `/var/run/docker/netns`. */
  readonly netnsDir?: string | ((node: string) => string);
  /** For tests: how the client reaches the nodes. */
  readonly dial?: TrafficDialer;
  /** Progress: node (or `*`), step, detail. */
  readonly log: (node: string, step: string, detail: string) => void;
}

/** Which step a round failure happened in (for the one-line error). */
export class RoundStepError extends Error {
  constructor(
    readonly step: string,
    readonly cause: Error,
  ) {
    super(cause.message);
    this.name = 'RoundStepError';
  }
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof RoundStepError ? e : new RoundStepError(name, e as Error);
  }
}

export async function runRound(pool: SshPool, props: RoundProps): Promise<RoundData> {
  const log = props.log;
  await step('connect', () =>
    pool.all(pool.nodes, async (n) => {
      const t0 = Date.now();
      await pool.connect(n);
      log(n, 'connect', `ssh ready as ${pool.user} (${Date.now() - t0} ms)`);
    }),
  );
  const { topology } = await step('discover', () =>
    discover(pool, {
      nodes: props.nodes,
      clientIp: props.clientIp,
      service: props.service,
      log,
      ...(props.netnsDir ? { netnsDir: props.netnsDir } : {}),
    }),
  );
  log(
    '*',
    'discover',
    `ingress ${topology.ingress.subnet} vni ${topology.ingress.vni} port ${topology.ingress.dataPathPort}; ${topology.service.name} vip ${topology.service.vip} :${topology.service.publishedPort} -> ${topology.service.targetPort}, ${topology.service.tasks.length} task(s)`,
  );
  const snapshots = await step('snapshot', () => snapshotAll(pool, topology, { log }));
  const entry = topology.nodes.find((n) => n.name === (props.entryNode ?? topology.nodes[0].name));
  if (!entry)
    throw new RoundStepError(
      'traffic',
      new Error(`entry node "${props.entryNode}" is not a lab node (${topology.nodes.map((n) => n.name).join(', ')})`),
    );
  // The capture points are the selected paths' packet hops for this entry node and every task.
  const paths = props.paths ?? selectPaths();
  const points = planCaptures(topology, { paths, entryNodes: [entry.name], sbox: props.sbox ?? true });
  const session = await step('capture', () => CaptureSession.start(pool, points, { log }));
  let requests;
  try {
    requests = await step('traffic', () =>
      generateTraffic([{ entryNode: entry.name, host: entry.ip, port: topology.service.publishedPort }], {
        count: props.requests ?? 6,
        localAddress: props.clientIp,
        ...(props.dial ? { dial: props.dial } : {}),
        ...(props.signal ? { signal: props.signal } : {}),
        log: (l) => log('client', 'traffic', l),
      }),
    );
    // Let the last replies reach every capture point before stopping.
    await new Promise((r) => setTimeout(r, 300));
  } catch (e) {
    await session.stop();
    await session.cleanup();
    throw e;
  }
  await session.stop();
  const pcapDir = path.join(props.outDir, 'pcaps');
  const captures = await step('collect', () => session.collect(pcapDir));
  for (const c of captures.filter((x) => x.failed))
    log(c.node, 'collect', `not captured: ${path.basename(c.file)}: ${c.failed}`);
  const round: RoundData = { topology, snapshots, captures, requests };
  fs.writeFileSync(path.join(props.outDir, 'round.json'), JSON.stringify(round, null, 2) + '\n');
  return round;
}
