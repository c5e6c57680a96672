/**
 * Traffic for the paths that start inside a client task: one entry into the client container on a
 * node (nsenter, or `docker exec`) runs all of that node's exchanges in order, busybox nslookup (dns)
 * and wget (service-vip by name, task-to-task by overlay IP, egress to a listener verify runs inside
 * the lab's own namespace). Bounded in count and time; a failed exchange is recorded, never thrown.
 */
import * as http from 'http';
import type { RequestRecord, Topology } from './model';
import type { EgressTarget } from './model-paths';
import { SH_NOW_FUNCTION, shQuote, SshPool } from './ssh';
import { isLocalAddress } from './traffic';

export type ClientPath = 'service-vip' | 'task-to-task' | 'dns' | 'egress';

export interface ClientTrafficProps {
  readonly paths: readonly ClientPath[];
  /** Node whose client task makes the service-vip, task-to-task and dns requests. Default: the first. */
  readonly fromNode?: string;
  /** Requests to the service VIP. Default: one per task (round robin reaches each once). */
  readonly vipRequests?: number;
  /** Per exchange, seconds (busybox timeout in the container; a node's exec is bounded by (this + 1) s per exchange + 5 s). Default 5. */
  readonly timeoutS?: number;
  /** Budget for all exchanges, ms, checked before each exec (a started one runs to its own bound). Default 60000. */
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

type Exchange = ReturnType<typeof clientExchanges>[number];

/**
 * The command run on the node for all of one client container's exchanges: ONE entry into the
 * container runs them in order, mixed kinds in one busybox `sh -c` script. The entry is `nsenter`
 * into the container's mount and network namespaces (its own busybox, its resolv.conf naming the
 * embedded DNS 127.0.0.11, its interfaces: the packets are the task's own), because `docker exec`
 * costs 1.5-4.7 s of start-up on TCG against 0.1-0.5 s for nsenter (measured on a bookworm guest
 * under load); `docker exec` stays the fallback where the container's PID is not found. Each
 * exchange is bounded by busybox `timeout` (not `wget -T`: Debian 12's busybox-static 1.35 wget
 * segfaults, exit 139, on `-T`) and
 * printed between its own markers: `@@swl-begin <i>`, its output, then
 * `@@swl-end <i> <exit code> <centiseconds> <stderr on one line>`. The duration is read inside the
 * container from /proc/uptime with the `read` builtin (busybox `date` has no `%N` everywhere), so it
 * leaves out the entry's own start-up. The outer `timeout` bounds the entry itself: every
 * exchange's bound plus a second each (marker and stderr lines) plus 5 s of start-up.
 */
export function exchangeCommand(
  containerId: string,
  exchanges: ReadonlyArray<Pick<Exchange, 'kind' | 'target'>>,
  timeoutS: number,
): string {
  const script = [
    SH_NOW_FUNCTION,
    // A body without a final newline must not swallow the end marker: one `echo` before it.
    `swl_x() { echo "${BEGIN} $1"; swl_now; a=$up; if [ "$2" = dns ]; then timeout ${timeoutS} nslookup "$3" 127.0.0.11; else timeout ${timeoutS} wget -q -O - "$3"; fi 2>/tmp/swl-err; c=$?; swl_now; echo; echo "${END} $1 $c $((up - a)) $(head -c 300 /tmp/swl-err | tr '\\n' ' ')"; }`,
    ...exchanges.map((x, i) => `swl_x ${i} ${x.kind} ${shQuote(x.target)}`),
  ].join('\n');
  const bound = batchBoundS(exchanges.length, timeoutS);
  const id = shQuote(containerId);
  // Entered with nsenter from the container's init PID (containerd's shim writes it) where it can
  // be found; else `docker exec`, as before.
  const pidFiles = CONTAINERD_TASK_DIRS.map((d) => `${d}/${containerId}/init.pid`);
  return [
    `s=${shQuote(script)}; p=`,
    `for f in ${pidFiles.map(shQuote).join(' ')}; do [ -r "$f" ] && read -r p < "$f" && break; done`,
    `if [ -n "$p" ] && [ -d "/proc/$p" ]; then exec timeout ${bound} nsenter -t "$p" -m -n sh -c "$s"; fi`,
    `exec timeout ${bound} docker exec ${id} sh -c "$s"`,
  ].join('\n');
}

/**
 * Where containerd's runtime v2 shim keeps each moby container's `init.pid`: the system containerd
 * (Debian's docker.io, docker-ce) and the one dockerd starts itself under its exec-root.
 */
const CONTAINERD_TASK_DIRS = [
  '/run/containerd/io.containerd.runtime.v2.task/moby',
  '/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby',
];

/** The outer bound of a batch of `n` exchanges, s (the ssh exec's bound is 5 s more). */
function batchBoundS(n: number, timeoutS: number): number {
  return (timeoutS + 1) * n + 5;
}

export interface ExchangeResult {
  readonly code: number;
  readonly body: string;
  readonly stderr: string;
  /** The exchange's own time inside the container, ms (absent in output without it). */
  readonly ms?: number;
}

/** One result per exchange from a batch's output, by the index in its markers; one without its end marker did not finish. */
export function splitExchanges(stdout: string, n: number): Array<ExchangeResult | undefined> {
  const out: Array<ExchangeResult | undefined> = new Array<ExchangeResult | undefined>(n).fill(undefined);
  let at: { i: number; body: string[] } | undefined;
  for (const line of stdout.split('\n')) {
    const b = /^@@swl-begin (\d+)$/.exec(line);
    const e = /^@@swl-end (\d+) (-?\d+) (\d+) ?(.*)$/.exec(line);
    if (b) at = { i: Number(b[1]), body: [] };
    else if (at && e && Number(e[1]) === at.i) {
      if (at.i < n)
        out[at.i] = { code: Number(e[2]), body: at.body.join('\n').trim(), stderr: e[4].trim(), ms: Number(e[3]) * 10 };
      at = undefined;
    } else at?.body.push(line);
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
  const list = clientExchanges(topo, p, listener?.target);
  // One batch per node and client container, in the list's order; nodes run at the same time
  // (each exec costs its own VM's time on TCG). Records keep the list's order and indexes.
  const groups = new Map<string, number[]>();
  for (const [i, x] of list.entries()) {
    const key = `${x.node} ${x.containerId}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const done: Array<Omit<RequestRecord, 'index'>> = [];
  const nodes = [...new Set(list.map((x) => x.node))];
  await Promise.all(
    nodes.map(async (node) => {
      for (const idx of groups.values())
        if (list[idx[0]].node === node) {
          const recs = await runBatch(
            pool,
            idx.map((i) => list[i]),
            timeoutS,
            deadline,
            p,
            listener,
          );
          idx.forEach((i, k) => (done[i] = recs[k]));
        }
    }),
  );
  return done.map((r, index) => ({ ...r, index }));
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
  const startedAt = new Date(t0).toISOString();
  const r = await pool
    .exec(x0.node, exchangeCommand(x0.containerId, batch, timeoutS), {
      check: false,
      timeoutMs: (batchBoundS(batch.length, timeoutS) + 5) * 1000,
    })
    .catch((e: Error) => ({ stdout: '', stderr: e.message, code: -1 }));
  const ms = Date.now() - t0;
  const results = splitExchanges(r.stdout, batch.length);
  // Each record's duration is its own, measured in the container; what the exec took beyond their
  // sum (ssh, the entry into the container, the markers) is added to the batch's first record, so the
  // per-path sums in the round's "traffic N s" lines still add up to the node's wall time.
  const inside = results.reduce((a, x) => a + (x?.ms ?? 0), 0);
  const startup = Math.max(0, ms - inside);
  p.log?.(
    x0.node,
    `${batch.length} exchanges in one entry into the container: ${ms} ms (${startup} ms beyond the exchanges, on the first)`,
  );
  return batch.map((x, i) => {
    const one = results[i];
    const wanted = x.path === 'egress' ? new URL(x.target).pathname : undefined;
    const seen = wanted ? listener?.peers.find((q) => q.path === wanted) : undefined;
    const peer = seen ? { address: seen.address, port: seen.port } : undefined;
    const body = (one?.body ?? '').slice(0, 2000);
    const failed = one
      ? one.code !== 0 && `exit ${one.code}: ${one.stderr.slice(0, 300)}`
      : `did not finish: the batch exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`;
    const own = one?.ms;
    const durationMs = i === 0 ? (own ?? 0) + startup : own;
    p.log?.(
      x.node,
      `${x.path} ${x.kind === 'dns' ? `nslookup ${x.target}` : `GET ${x.target}`}: ${failed ? failed.split(':')[0] : 'ok'}${own !== undefined ? ` (${own} ms)` : ''} ${body.split('\n').slice(-1)[0].slice(0, 60)}`,
    );
    return {
      ...base(x),
      startedAt,
      ...(failed ? { body, error: failed } : { status: 200, body }),
      ...(peer ? { peer } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
    };
  });
}
