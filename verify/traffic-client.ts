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

/** What the listener saw: each connection's peer and the request path it asked for. */
export interface EgressListener {
  readonly target: EgressTarget;
  /** Peers that connected, in order, with the path of their request (the exchange's token). */
  readonly peers: Array<{ address: string; port: number; path: string }>;
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
  const peers: Array<{ address: string; port: number; path: string }> = [];
  const server = http.createServer((req, res) => {
    const address = req.socket.remoteAddress ?? '';
    const port = req.socket.remotePort ?? 0;
    peers.push({ address, port, path: req.url ?? '' });
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
      // The path names the client node: egress runs on every node at once, and the listener
      // attributes each connection by what it asked for, not by arrival order.
      for (const c of u.clients) one(path, 'http', `http://${egress.ip}:${egress.port}/${egressToken(c.node)}`, c);
    }
  }
  return out;
}

const BEGIN = '@@swl-begin';
const END = '@@swl-end';

/**
 * The command line run on the node for a batch of exchanges of one kind in one client container:
 * one `docker exec` (1-2 s each on TCG) running them in order, each bounded by busybox `timeout`
 * (not `wget -T`: Debian 12's busybox-static 1.35 wget segfaults, exit 139, on `-T`), its output
 * between markers with its exit code and stderr. The outer `timeout` bounds `docker exec` itself.
 */
export function exchangeCommand(
  containerId: string,
  kind: 'dns' | 'http',
  targets: readonly string[],
  timeoutS: number,
): string {
  const one = kind === 'dns' ? 'nslookup "$t" 127.0.0.11' : 'wget -q -O - "$t"';
  const script =
    `for t in ${targets.map(shQuote).join(' ')}; do echo ${BEGIN}; ` +
    `timeout ${timeoutS} ${one} 2>/tmp/swl-err; echo "${END} $? $(head -c 300 /tmp/swl-err | tr '\\n' ' ')"; done`;
  return `timeout ${(timeoutS + 1) * targets.length + 5} docker exec ${containerId} sh -c ${shQuote(script)}`;
}

/** One result per target from a batch's output; a target without its end marker did not finish. */
export function splitExchanges(
  stdout: string,
  n: number,
): Array<{ code: number; body: string; stderr: string } | undefined> {
  const out: Array<{ code: number; body: string; stderr: string } | undefined> = [];
  let body: string[] | undefined;
  for (const line of stdout.split('\n')) {
    if (line === BEGIN) body = [];
    else if (body && line.startsWith(`${END} `)) {
      const m = /^\S+ (-?\d+) ?(.*)$/.exec(line);
      out.push({ code: Number(m?.[1] ?? -1), body: body.join('\n').trim(), stderr: (m?.[2] ?? '').trim() });
      body = undefined;
    } else body?.push(line);
  }
  while (out.length < n) out.push(undefined);
  return out.slice(0, n);
}

type Exchange = ReturnType<typeof clientExchanges>[number];

/** Consecutive exchanges of one path, node, container and kind run in one exec. */
function batches(list: readonly Exchange[]): Exchange[][] {
  const out: Exchange[][] = [];
  for (const x of list) {
    const last = out[out.length - 1]?.[0];
    if (last && last.path === x.path && last.node === x.node && last.kind === x.kind) out[out.length - 1].push(x);
    else out.push([x]);
  }
  return out;
}

export async function clientTraffic(
  pool: SshPool,
  topo: Topology,
  p: ClientTrafficProps,
  listener?: EgressListener,
): Promise<RequestRecord[]> {
  const timeoutS = p.timeoutS ?? 5;
  const deadline = Date.now() + (p.totalTimeoutMs ?? 60000);
  const all = batches(clientExchanges(topo, p, listener?.target));
  // Batches on one node run in order (one client container, one vCPU); nodes run at the same time
  // (each exec costs 1-2 s of its own VM on TCG). Records keep the list's order and indexes.
  const done: Array<Array<Omit<RequestRecord, 'index'>>> = [];
  const nodes = [...new Set(all.map((b) => b[0].node))];
  await Promise.all(
    nodes.map(async (node) => {
      for (const [i, batch] of all.entries())
        if (batch[0].node === node) done[i] = await runBatch(pool, batch, timeoutS, deadline, p, listener);
    }),
  );
  return done.flat().map((r, index) => ({ ...r, index }));
}

/** The path token of a node's egress request (the listener reports it back). */
export function egressToken(node: string): string {
  return `swl-egress-${node}`;
}

async function runBatch(
  pool: SshPool,
  batch: readonly Exchange[],
  timeoutS: number,
  deadline: number,
  p: ClientTrafficProps,
  listener?: EgressListener,
): Promise<Array<Omit<RequestRecord, 'index'>>> {
  const x0 = batch[0];
  const base = (x: Exchange) => ({
    path: x.path,
    entryNode: x.node,
    fromContainer: x.containerId,
    url: x.kind === 'dns' ? `dns:${x.target}` : x.target,
    startedAt: new Date().toISOString(),
  });
  if (p.signal?.aborted || Date.now() > deadline)
    return batch.map((x) => ({
      ...base(x),
      error: p.signal?.aborted ? 'aborted' : 'skipped: traffic time budget spent',
    }));
  const t0 = Date.now();
  const cmd = exchangeCommand(
    x0.containerId,
    x0.kind,
    batch.map((x) => x.target),
    timeoutS,
  );
  const r = await pool
    .exec(x0.node, cmd, { check: false, timeoutMs: ((timeoutS + 1) * batch.length + 10) * 1000 })
    .catch((e: Error) => ({ stdout: '', stderr: e.message, code: -1 }));
  const ms = Date.now() - t0;
  const results = splitExchanges(r.stdout, batch.length);
  return batch.map((x, i) => {
    const one = results[i];
    const wanted = x.path === 'egress' ? new URL(x.target).pathname : undefined;
    const seen = wanted ? listener?.peers.find((q) => q.path === wanted) : undefined;
    const peer = seen ? { address: seen.address, port: seen.port } : undefined;
    const body = (one?.body ?? '').slice(0, 2000);
    const failed = one
      ? one.code !== 0 && `exit ${one.code}: ${one.stderr.slice(0, 300)}`
      : `did not finish: docker exec exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`;
    p.log?.(
      x.node,
      `${x.path} ${x.kind === 'dns' ? `nslookup ${x.target}` : `GET ${x.target}`}: ${failed ? failed.split(':')[0] : 'ok'}${i === 0 ? ` (${ms} ms for ${batch.length})` : ''} ${body.split('\n').slice(-1)[0].slice(0, 60)}`,
    );
    return {
      ...base(x),
      ...(failed ? { body, error: failed } : { status: 200, body }),
      ...(peer ? { peer } : {}),
      // A batch's time is on its first record (the per-path sum stays the exec time).
      ...(i === 0 ? { durationMs: ms } : {}),
    };
  });
}
