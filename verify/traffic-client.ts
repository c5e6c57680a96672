/**
 * Traffic for the paths that start inside a client task: `docker exec` in the client container on
 * a node runs busybox nslookup (dns) and wget (service-vip by name, task-to-task by overlay IP,
 * egress to a listener verify runs inside the lab's own namespace). Bounded in count and time;
 * a failed exchange is recorded, never thrown.
 */
import * as http from 'http';
import type { RequestRecord, Topology } from './model';
import type { EgressTarget } from './model-paths';
import { shQuote, SshPool } from './ssh';
import { isLocalAddress } from './traffic';

export type ClientPath = 'service-vip' | 'task-to-task' | 'dns' | 'egress';

export interface ClientTrafficProps {
  readonly paths: readonly ClientPath[];
  /** Node whose client task makes the service-vip, task-to-task and dns requests. Default: the first. */
  readonly fromNode?: string;
  /** Requests to the service VIP. Default: one per task (round robin reaches each once). */
  readonly vipRequests?: number;
  /** Per exchange, seconds (busybox timeout in the container; the exec bound is 5 s more). Default 5. */
  readonly timeoutS?: number;
  /** Budget for all exchanges, ms. Default 60000. */
  readonly totalTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly log?: (node: string, line: string) => void;
}

/** What the listener saw, by the client port of the connection. */
export interface EgressListener {
  readonly target: EgressTarget;
  /** Peers that connected, in order. */
  readonly peers: Array<{ address: string; port: number }>;
  close(): Promise<void>;
}

/**
 * A tiny HTTP listener on `ip` (the lab's client address, which must be local: verify runs inside
 * the lab's namespace). Answers `swarm-lab egress <peer>`; bounded: at most `max` connections.
 */
export async function startEgressListener(ip: string, max = 20): Promise<EgressListener> {
  if (!isLocalAddress(ip))
    throw new Error(
      `egress: the client address ${ip} is not on an interface here; run verify inside the lab's namespace (ip netns exec <lab ns> ...)`,
    );
  const peers: Array<{ address: string; port: number }> = [];
  const server = http.createServer((req, res) => {
    const address = req.socket.remoteAddress ?? '';
    const port = req.socket.remotePort ?? 0;
    peers.push({ address, port });
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`swarm-lab egress ${address}:${port}\n`);
  });
  server.maxConnections = max;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Only the client address, never a wildcard.
    server.listen({ host: ip, port: 0, exclusive: true }, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    target: { ip, port },
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The commands, one per exchange, in the order they run. */
export function clientExchanges(
  topo: Topology,
  p: ClientTrafficProps,
  egress?: EgressTarget,
): Array<{ path: ClientPath; node: string; containerId: string; kind: 'dns' | 'http'; target: string }> {
  const u = topo.userOverlay;
  if (!u) return [];
  const from = u.clients.find((c) => c.node === (p.fromNode ?? u.clients[0]?.node));
  if (!from) return [];
  const out: ReturnType<typeof clientExchanges> = [];
  const one = (path: ClientPath, kind: 'dns' | 'http', target: string, c = from) =>
    out.push({ path, node: c.node, containerId: c.containerId, kind, target });
  for (const path of p.paths) {
    if (path === 'dns') {
      one(path, 'dns', u.service.name);
      one(path, 'dns', `tasks.${u.service.name}`);
    } else if (path === 'service-vip') {
      const n = Math.min(Math.max(p.vipRequests ?? u.tasks.length, 1), 30);
      for (let i = 0; i < n; i++) one(path, 'http', `http://${u.service.name}:${u.service.port}/`);
    } else if (path === 'task-to-task') {
      // Every task by its overlay address: the one on the client's node and the remote ones.
      for (const t of u.tasks) one(path, 'http', `http://${t.ip}:${u.service.port}/`);
    } else if (path === 'egress' && egress) {
      for (const c of u.clients) one(path, 'http', `http://${egress.ip}:${egress.port}/`, c);
    }
  }
  return out;
}

/**
 * The command line run on the node for one exchange (busybox in the client container). The bound
 * inside the container is busybox `timeout`, not `wget -T`: Debian 12's busybox-static 1.35 wget
 * segfaults (exit 139) on `-T`; the outer `timeout` bounds `docker exec` itself.
 */
export function exchangeCommand(containerId: string, kind: 'dns' | 'http', target: string, timeoutS: number): string {
  const inside = kind === 'dns' ? `nslookup ${shQuote(target)} 127.0.0.11` : `wget -q -O - ${shQuote(target)}`;
  return `timeout ${timeoutS + 5} docker exec ${containerId} timeout ${timeoutS} ${inside}`;
}

export async function clientTraffic(
  pool: SshPool,
  topo: Topology,
  p: ClientTrafficProps,
  listener?: EgressListener,
): Promise<RequestRecord[]> {
  const timeoutS = p.timeoutS ?? 5;
  const deadline = Date.now() + (p.totalTimeoutMs ?? 60000);
  const list = clientExchanges(topo, p, listener?.target);
  const out: RequestRecord[] = [];
  for (const [index, x] of list.entries()) {
    const startedAt = new Date().toISOString();
    const base = {
      index,
      path: x.path,
      entryNode: x.node,
      fromContainer: x.containerId,
      url: x.kind === 'dns' ? `dns:${x.target}` : x.target,
      startedAt,
    };
    if (p.signal?.aborted || Date.now() > deadline) {
      out.push({ ...base, error: p.signal?.aborted ? 'aborted' : 'skipped: traffic time budget spent' });
      continue;
    }
    const before = listener?.peers.length ?? 0;
    const t0 = Date.now();
    const r = await pool
      .exec(x.node, exchangeCommand(x.containerId, x.kind, x.target, timeoutS), {
        check: false,
        timeoutMs: (timeoutS + 10) * 1000,
      })
      .catch((e: Error) => ({ stdout: '', stderr: e.message, code: -1 }));
    const ms = Date.now() - t0;
    const peer = listener && listener.peers.length > before ? listener.peers[before] : undefined;
    const body = r.stdout.trim().slice(0, 2000);
    out.push({
      ...base,
      ...(r.code === 0 ? { status: 200, body } : { body, error: `exit ${r.code}: ${r.stderr.trim().slice(0, 300)}` }),
      ...(peer ? { peer } : {}),
      durationMs: ms,
    });
    p.log?.(
      x.node,
      `${x.path} ${x.kind === 'dns' ? `nslookup ${x.target}` : `GET ${x.target}`}: ${r.code === 0 ? 'ok' : `exit ${r.code}`} (${ms} ms) ${body.split('\n').slice(-1)[0].slice(0, 60)}`,
    );
  }
  return out;
}
