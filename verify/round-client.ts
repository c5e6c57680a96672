/**
 * The round's part for the paths that start in a client task: discover the user overlay and the
 * client tasks into the topology, snapshot their namespaces into the node snapshots, run the egress
 * listener (inside the lab's namespace, on the client address) while the captures run, and send the
 * exchanges from the client containers.
 */
import type { DiscoveryResult } from './discover';
import { discoverClient, snapshotClient } from './discover-client';
import type { NodeSnapshot, RequestRecord, Topology } from './model';
import type { SshPool } from './ssh';
import { clientTraffic, startEgressListener, type ClientPath, type EgressListener } from './traffic-client';

export const CLIENT_PATH_IDS: readonly ClientPath[] = ['service-vip', 'task-to-task', 'dns', 'egress'];

export interface ClientRoundProps {
  readonly paths: readonly ClientPath[];
  readonly nodes: readonly string[];
  readonly clientIp: string;
  readonly clientService: string;
  readonly overlayNetwork: string;
  readonly netnsDir?: string | ((node: string) => string);
  readonly log: (node: string, step: string, detail: string) => void;
}

export interface PreparedClient {
  /** The ingress topology with the user overlay and the client tasks. */
  readonly topology: Topology;
  readonly listener?: EgressListener;
}

/** The client parts of each node's snapshot (client container, user overlay, lb namespace). */
export type ClientSnapshots = Awaited<ReturnType<typeof snapshotClient>>;

/**
 * Discovery for the client paths (it needs only the ingress discovery, so it runs beside the
 * ingress snapshot); starts the egress listener when egress is asked for.
 */
export async function prepareClient(
  pool: SshPool,
  discovery: DiscoveryResult,
  p: ClientRoundProps,
): Promise<PreparedClient> {
  const { topology } = discovery;
  const manager = topology.nodes.find((n) => n.leader) ?? topology.nodes.find((n) => n.swarmRole === 'manager');
  const userOverlay = await discoverClient(pool, {
    nodes: p.nodes,
    manager: (manager ?? topology.nodes[0]).name,
    service: topology.service.name,
    // Read this round by the ingress discovery: not asked again.
    serviceInfo: discovery.service,
    reads: discovery.reads,
    sandboxKeys: Object.fromEntries(topology.service.tasks.map((t) => [t.containerId, t.sandboxKey])),
    clientService: p.clientService,
    overlayNetwork: p.overlayNetwork,
    log: p.log,
    ...(p.netnsDir ? { netnsDir: p.netnsDir } : {}),
  });
  const listener = p.paths.includes('egress') ? await startEgressListener(p.clientIp) : undefined;
  if (listener) p.log('client', 'egress', `listening on ${listener.target.ip}:${listener.target.port} (lab namespace)`);
  const withOverlay: Topology = {
    ...topology,
    userOverlay: { ...userOverlay, ...(listener ? { egressTarget: listener.target } : {}) },
  };
  return { topology: withOverlay, ...(listener ? { listener } : {}) };
}

/** The client namespaces' and user overlay's state on every node (one exec per node). */
export function snapshotPrepared(pool: SshPool, prepared: PreparedClient): Promise<ClientSnapshots> {
  return snapshotClient(pool, prepared.topology.userOverlay!);
}

/** Each node's snapshot with its client parts. */
export function withClientSnapshots(snapshots: readonly NodeSnapshot[], extra: ClientSnapshots): NodeSnapshot[] {
  return snapshots.map((s) => {
    const x = extra.find((e) => e.node === s.node);
    return x ? { ...s, client: x.client, userOverlay: x.userOverlay, ...(x.lb ? { lb: x.lb } : {}) } : s;
  });
}

/** The client exchanges, indexed from 0. */
export async function clientRequests(
  pool: SshPool,
  prepared: PreparedClient,
  p: ClientRoundProps & { readonly signal?: AbortSignal },
): Promise<RequestRecord[]> {
  return clientTraffic(
    pool,
    prepared.topology,
    { paths: p.paths, ...(p.signal ? { signal: p.signal } : {}), log: (node, l) => p.log(node, 'traffic', l) },
    prepared.listener,
  );
}
