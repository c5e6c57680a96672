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
import { refuseUnmodelledBackend } from './firewall-backend';
import type { NodeSnapshot, RequestRecord, RoundData } from './model';
import { selectPaths } from './paths';
import type { PathSpec } from './paths/types';
import type { SshPool } from './ssh';
import {
  CLIENT_PATH_IDS,
  clientRequests,
  prepareClient,
  snapshotPrepared,
  withClientSnapshots,
  type ClientRoundProps,
} from './round-client';
import { generateTraffic, TrafficDialer } from './traffic';
import type { ClientPath } from './traffic-client';

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
  /** For the paths that start in a client task: the client service and the user overlay (from the lab). */
  readonly client?: { readonly service: string; readonly overlayNetwork: string };
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
  /** Called once the traffic is done, before the captures are stopped and collected (the steady check reads then). */
  readonly onTrafficDone?: () => void;
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
  const paths = props.paths ?? selectPaths();
  const overlayNetwork = props.client?.overlayNetwork ?? 'ol_network';
  const clientPaths = paths
    .map((p) => p.id)
    .filter((id): id is ClientPath => CLIENT_PATH_IDS.includes(id as ClientPath));
  const discovery = await step('discover', () =>
    discover(pool, {
      nodes: props.nodes,
      clientIp: props.clientIp,
      service: props.service,
      log,
      // The client paths' user overlay is read in the ingress discovery's own network inspect.
      ...(clientPaths.length ? { extraNetworks: [overlayNetwork] } : {}),
      ...(props.netnsDir ? { netnsDir: props.netnsDir } : {}),
    }),
  );
  let { topology } = discovery;
  log(
    '*',
    'discover',
    `ingress ${topology.ingress.subnet} vni ${topology.ingress.vni} port ${topology.ingress.dataPathPort}; ${topology.service.name} vip ${topology.service.vip} :${topology.service.publishedPort} -> ${topology.service.targetPort}, ${topology.service.tasks.length} task(s)`,
  );
  // Before any capture: a backend whose rules the engine does not read is "could not judge", not a wrong hop.
  await step('firewall', () => refuseUnmodelledBackend(pool, topology, log));
  const entry = topology.nodes.find((n) => n.name === (props.entryNode ?? topology.nodes[0].name));
  if (!entry)
    throw new RoundStepError(
      'traffic',
      new Error(`entry node "${props.entryNode}" is not a lab node (${topology.nodes.map((n) => n.name).join(', ')})`),
    );
  // Client paths start in the client task on the first node (egress: on every node).
  const clientProps: ClientRoundProps | undefined = clientPaths.length
    ? {
        paths: clientPaths,
        nodes: props.nodes.map((n) => n.name),
        clientIp: props.clientIp,
        clientService: props.client?.service ?? `${props.service}-client`,
        overlayNetwork,
        log,
        ...(props.netnsDir ? { netnsDir: props.netnsDir } : {}),
      }
    : undefined;
  // The snapshots read state, not packets: the ingress one starts now, beside the client paths'
  // discovery, and both run on beside the tcpdump start once the capture points are known (each of
  // them costs seconds of a node's one vCPU on TCG); the traffic waits for all of them.
  // A lab without what the client paths need (no client task, no user overlay) must not cost the
  // ingress verdict: those paths get no requests and the engine reports them as not judged.
  const ingressSnap = step('snapshot', () => snapshotAll(pool, topology, { log }));
  ingressSnap.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const prepared = clientProps
    ? await prepareClient(pool, discovery, clientProps).catch((e: Error) => {
        if (props.signal?.aborted) throw e;
        log('*', 'discover', `client paths (${clientPaths.join(', ')}) not judged: ${e.message}`);
        return undefined;
      })
    : undefined;
  if (prepared) topology = prepared.topology;
  const clientSnap = prepared ? step('snapshot', () => snapshotPrepared(pool, prepared)) : Promise.resolve(undefined);
  clientSnap.catch(() => undefined);
  const firstNode = topology.nodes[0].name;
  const entryNodesOf = (spec: PathSpec): readonly string[] =>
    spec.id === 'ingress' ? [entry.name] : spec.id === 'egress' ? topology.nodes.map((n) => n.name) : [firstNode];
  // The capture points are the selected paths' packet hops for their entry nodes and every target.
  const points = planCaptures(topology, { paths, entryNodesOf, sbox: props.sbox ?? true });
  let session: CaptureSession;
  let snapshots: NodeSnapshot[];
  try {
    session = await step('capture', () => CaptureSession.start(pool, points, { log, tools: discovery.tools }));
  } catch (e) {
    await Promise.allSettled([ingressSnap, clientSnap]);
    await prepared?.listener?.close();
    throw e;
  }
  try {
    const [base, extra] = await Promise.all([ingressSnap, clientSnap]);
    snapshots = extra ? withClientSnapshots(base, extra) : base;
  } catch (e) {
    await Promise.allSettled([ingressSnap, clientSnap]);
    await session.stop();
    await session.cleanup();
    await prepared?.listener?.close();
    throw e;
  }
  const requests: RequestRecord[] = [];
  const timings: Record<string, number> = {};
  try {
    // The ingress requests (from the lab namespace) and the client tasks' exchanges (run inside the
    // client containers on the nodes) share no socket or filter: both at once, the round's traffic lasts as long as the longer.
    const [ingressRecs, clientRecs] = await Promise.all([
      paths.some((p) => p.id === 'ingress')
        ? step('traffic', async () => {
            const t0 = Date.now();
            const recs = await generateTraffic(
              [{ entryNode: entry.name, host: entry.ip, port: topology.service.publishedPort }],
              {
                count: props.requests ?? 6,
                localAddress: props.clientIp,
                ...(props.dial ? { dial: props.dial } : {}),
                ...(props.signal ? { signal: props.signal } : {}),
                log: (l) => log('client', 'traffic', l),
              },
            );
            timings.ingress = Date.now() - t0;
            return recs;
          })
        : Promise.resolve([]),
      prepared && clientProps
        ? step('traffic', () =>
            clientRequests(pool, prepared, { ...clientProps, ...(props.signal ? { signal: props.signal } : {}) }),
          )
        : Promise.resolve([]),
    ]);
    // Request indexes are distinct in a round: the client exchanges come after the ingress requests.
    requests.push(...ingressRecs, ...clientRecs.map((r) => ({ ...r, index: r.index + ingressRecs.length })));
    for (const id of clientPaths)
      timings[id] = clientRecs.filter((r) => r.path === id).reduce((a, r) => a + (r.durationMs ?? 0), 0);
    // Let the last replies reach every capture point before stopping.
    await new Promise((r) => setTimeout(r, 300));
  } catch (e) {
    await session.stop();
    await session.cleanup();
    throw e;
  } finally {
    await prepared?.listener?.close();
  }
  for (const [id, ms] of Object.entries(timings))
    log('*', 'traffic', `path ${id}: traffic ${(ms / 1000).toFixed(1)} s`);
  props.onTrafficDone?.();
  await session.stop();
  const pcapDir = path.join(props.outDir, 'pcaps');
  const captures = await step('collect', () => session.collect(pcapDir));
  for (const c of captures.filter((x) => x.failed))
    log(c.node, 'collect', `not captured: ${path.basename(c.file)}: ${c.failed}`);
  const round: RoundData = { topology, snapshots, captures, requests };
  fs.writeFileSync(path.join(props.outDir, 'round.json'), JSON.stringify(round, null, 2) + '\n');
  return round;
}
