/**
 * Traffic for a verify round: N HTTP GETs from the client side to the published port of the
 * entry node(s), one fresh TCP connection each (so IPVS schedules each one), bounded in count
 * and time. Records what the engine needs to find each request in the pcaps.
 */
import * as http from 'http';
import * as os from 'os';
import type { Duplex } from 'stream';
import type { RequestRecord } from './model';

export interface TrafficTarget {
  /** Node the request enters the swarm at. */
  readonly entryNode: string;
  readonly host: string;
  readonly port: number;
}

/** Opens the TCP stream (e.g. from inside a namespace); `localPort` is the client port when known. */
export type TrafficDialer = (
  host: string,
  port: number,
  timeoutMs: number,
) => Promise<{ stream: Duplex; localPort?: number }>;

export interface TrafficProps {
  /** Requests in total (cycling over the targets). Default 6, at most 1000. */
  readonly count?: number;
  /** HTTP path. Default `/`. */
  readonly path?: string;
  /** Per-request timeout, ms. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Budget for the whole series; remaining requests are skipped (recorded with an error). Default 60000. */
  readonly totalTimeoutMs?: number;
  /** Pause between requests, ms (keeps them apart in the pcaps). Default 200. */
  readonly gapMs?: number;
  /** Source address; used only when some local interface holds it. */
  readonly localAddress?: string;
  readonly dial?: TrafficDialer;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/** Whether `ip` is assigned to an interface of this process's network namespace. */
export function isLocalAddress(ip: string): boolean {
  return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === ip));
}

function oneRequest(
  t: TrafficTarget,
  index: number,
  p: TrafficProps,
  localAddress: string | undefined,
): Promise<RequestRecord> {
  const url = `http://${t.host}:${t.port}${p.path ?? '/'}`;
  const startedAt = new Date().toISOString();
  const timeoutMs = p.requestTimeoutMs ?? 5000;
  return new Promise((resolve) => {
    let clientPort: number | undefined;
    let settled = false;
    const done = (r: Partial<RequestRecord>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ index, entryNode: t.entryNode, url, startedAt, ...(clientPort ? { clientPort } : {}), ...r });
    };
    const timer = setTimeout(() => {
      req?.destroy(new Error(`timed out after ${timeoutMs} ms`));
      done({ error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    let req: http.ClientRequest | undefined;
    const send = (sock?: Duplex): void => {
      req = http.request(
        {
          host: t.host,
          port: t.port,
          path: p.path ?? '/',
          method: 'GET',
          headers: { Connection: 'close', 'User-Agent': 'swarm-lab-verify' },
          // With a dialed stream there must be no agent: Node ignores createConnection when
          // `agent` is set (even `false`) and would connect by itself from this namespace.
          ...(sock ? { createConnection: () => sock } : { agent: false, ...(localAddress ? { localAddress } : {}) }),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (body.length < 65536) body += d;
          });
          res.on('end', () => done({ status: res.statusCode, body: body.trim().slice(0, 500) }));
          res.on('error', (e) => done({ status: res.statusCode, error: e.message }));
        },
      );
      req.on('socket', (s) => {
        if (sock) {
          // Never let Node open its own connection from here when a dialer was given.
          if (s !== sock) {
            req?.destroy();
            done({ error: 'internal: http did not use the dialed stream' });
          }
          return;
        }
        s.once('connect', () => (clientPort = s.localPort));
      });
      req.on('error', (e) => done({ error: e.message }));
      req.end();
    };
    if (p.dial) {
      p.dial(t.host, t.port, timeoutMs).then(
        ({ stream, localPort }) => {
          clientPort = localPort;
          send(stream);
        },
        (e: Error) => done({ error: e.message }),
      );
    } else send();
  });
}

/** Send the requests one after another; never throws for a failed request (it is recorded). */
export async function generateTraffic(
  targets: readonly TrafficTarget[],
  props: TrafficProps = {},
): Promise<RequestRecord[]> {
  if (!targets.length) throw new Error('traffic: no target');
  const count = Math.min(Math.max(props.count ?? 6, 1), 1000);
  const deadline = Date.now() + (props.totalTimeoutMs ?? 60000);
  const local =
    props.localAddress && !props.dial && isLocalAddress(props.localAddress) ? props.localAddress : undefined;
  if (props.localAddress && !props.dial && !local)
    props.log?.(`client address ${props.localAddress} is not local here; using the default source address`);
  const out: RequestRecord[] = [];
  for (let i = 0; i < count; i++) {
    const t = targets[i % targets.length];
    if (props.signal?.aborted || Date.now() > deadline) {
      out.push({
        index: i,
        entryNode: t.entryNode,
        url: `http://${t.host}:${t.port}${props.path ?? '/'}`,
        startedAt: new Date().toISOString(),
        error: props.signal?.aborted ? 'aborted' : 'skipped: traffic time budget spent',
      });
      continue;
    }
    const r = await oneRequest(t, i, props, local);
    props.log?.(
      `request ${i + 1}/${count} -> ${t.entryNode} ${r.status ?? '-'} ${r.error ?? (r.body ?? '').split('\n')[0].slice(0, 60)}`,
    );
    out.push(r);
    if (i + 1 < count && props.gapMs !== 0) await new Promise((res) => setTimeout(res, props.gapMs ?? 200));
  }
  return out;
}
