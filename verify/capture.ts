/**
 * Capture orchestration: start tcpdump at every capture point on every node at once (in the
 * right namespace via nsenter), confirm each is listening, and later stop them all cleanly
 * (SIGINT, bounded wait, SIGKILL), download the pcaps over SFTP and remove them from the nodes.
 *
 * Each tcpdump runs in the background on its node under `timeout -s INT <maxSeconds>`, so a
 * capture ends by itself even if verify dies; it is stopped by PID, never by name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { captureFileName, CapturePoint } from './capture-plan';
import type { CaptureFile } from './model';
import { MissingToolError, parseToolProbe, toolProbeCommand } from './parse/tools';
import { retry, RetryError } from '../lib/retry';
import { shQuote, SshPool } from './ssh';

export interface CaptureProps {
  /** Bytes kept per packet: enough for outer Ethernet+IP+UDP+VXLAN and inner Ethernet+IP+TCP (+ a little payload). Default 256. */
  readonly snaplen?: number;
  /** Hard upper bound of one capture on the node (tcpdump runs under `timeout`), s. Default 300. */
  readonly maxSeconds?: number;
  /** How long to wait for every tcpdump to report `listening on`, ms. Default 15000. */
  readonly listenTimeoutMs?: number;
  /** Grace after SIGINT before SIGKILL, ms. Default 5000. */
  readonly stopGraceMs?: number;
  /** Remote work dir (one per round). Default `/tmp/swarm-lab-verify-<time>-<pid>`. */
  readonly remoteDir?: string;
  /** A point that fails to start: `fail` (default) aborts the round, `mark` records it as not captured. */
  readonly onPointFailure?: 'fail' | 'mark';
  readonly log?: (node: string, step: string, detail: string) => void;
}

interface Running {
  readonly point: CapturePoint;
  readonly remoteFile: string;
  readonly pid?: number;
  failed?: string;
  /** tcpdump's own "N packets captured" at stop. */
  packets?: number;
}

export class CaptureError extends Error {
  constructor(
    readonly node: string,
    readonly point: string,
    detail: string,
  ) {
    super(`${node}: capture ${point}: ${detail}`);
    this.name = 'CaptureError';
  }
}

function describe(p: CapturePoint): string {
  return `${p.ns}${p.containerId ? ` ${p.containerId.slice(0, 12)}` : ''} ${p.iface}`;
}

/** Shell test: process is running (exists and is not a zombie). */
const ALIVE = (pid: string): string => `{ [ -r /proc/${pid}/stat ] && [ "$(cut -d' ' -f3 /proc/${pid}/stat)" != Z ]; }`;

/** The shell line that starts one tcpdump in the background and prints its PID. */
export function tcpdumpStartCommand(p: CapturePoint, file: string, snaplen: number, maxSeconds: number): string {
  const enter = p.nsPath ? `nsenter --net=${shQuote(p.nsPath)} ` : '';
  // --immediate-mode: without it libpcap hands packets over in ring blocks (1 s timeout), and
  // the last block before SIGINT can be lost; -U then writes each packet to the file at once.
  // -Z root: distro builds drop to a `tcpdump` user, which may not create files in our dir.
  const dump = `${enter}tcpdump --immediate-mode -U -n -Z root -i ${shQuote(p.iface)} -s ${snaplen} -w ${shQuote(file)} ${shQuote(p.filter)}`;
  // The PID also goes to <file>.pid so a stop finds it even if this exec's answer was lost (abort).
  return `nohup timeout -s INT ${maxSeconds} ${dump} </dev/null >/dev/null 2>${shQuote(file + '.err')} & echo $! | tee ${shQuote(file + '.pid')}`;
}

/** A started round of captures. Always call `stop()` (idempotent), then `collect()`. */
export class CaptureSession {
  private stopped = false;

  private constructor(
    private readonly pool: SshPool,
    readonly remoteDir: string,
    private readonly running: Running[],
    private readonly props: CaptureProps,
  ) {}

  /** Start every point at once and wait until each listens (or fail/mark per `onPointFailure`). */
  static async start(
    pool: SshPool,
    points: readonly CapturePoint[],
    props: CaptureProps = {},
  ): Promise<CaptureSession> {
    const snaplen = props.snaplen ?? 256;
    const maxSeconds = props.maxSeconds ?? 300;
    const remoteDir = props.remoteDir ?? `/tmp/swarm-lab-verify-${Date.now()}-${process.pid}`;
    const nodes = [...new Set(points.map((p) => p.node))];
    const running: Running[] = points.map((point, i) => ({ point, remoteFile: `${remoteDir}/${i}.pcap` }));
    const session = new CaptureSession(pool, remoteDir, running, props);
    try {
      await pool.all(nodes, async (node) => {
        const t0 = Date.now();
        const found = parseToolProbe(
          (await pool.exec(node, toolProbeCommand(['tcpdump', 'nsenter', 'timeout']))).stdout,
        );
        const missing = ['tcpdump', 'nsenter', 'timeout'].filter((t) => !found[t]);
        if (missing.length) throw new MissingToolError(node, missing);
        const mine = running.filter((r) => r.point.node === node);
        // One exec per node starts all its tcpdumps; each prints its PID on its own line.
        const script = [
          `mkdir -p ${shQuote(remoteDir)}`,
          ...mine.map((r) => tcpdumpStartCommand(r.point, r.remoteFile, snaplen, maxSeconds)),
        ].join('\n');
        const pids = (await pool.exec(node, script)).stdout.trim().split('\n').map(Number);
        mine.forEach((r, i) => {
          (r as { pid?: number }).pid = Number.isInteger(pids[i]) && pids[i] > 1 ? pids[i] : undefined;
          if (!r.pid) r.failed = 'tcpdump did not start (no PID)';
        });
        await session.waitListening(node, mine, props.listenTimeoutMs ?? 15000);
        props.log?.(
          node,
          'capture',
          `${mine.filter((r) => !r.failed).length}/${mine.length} tcpdump listening (${Date.now() - t0} ms)`,
        );
      });
      const failed = running.filter((r) => r.failed);
      if (failed.length && (props.onPointFailure ?? 'fail') === 'fail') {
        // Every failed point named, one line: several at once are an AggregateError.
        const errs = failed.map((f) => new CaptureError(f.point.node, describe(f.point), f.failed ?? 'failed'));
        if (errs.length === 1) throw errs[0];
        const on = [...new Set(failed.map((f) => f.point.node))];
        throw new AggregateError(errs, `${errs.length} capture points failed on ${on.join(', ')}`);
      }
    } catch (e) {
      await session.stop().catch(() => undefined);
      await session.cleanup().catch(() => undefined);
      throw e;
    }
    return session;
  }

  /** Poll each tcpdump's stderr for `listening on`; a dead process or timeout marks the point failed. */
  private async waitListening(node: string, mine: Running[], timeoutMs: number): Promise<void> {
    let pending = mine.filter((r) => !r.failed);
    const notYet = new Error('not listening yet');
    try {
      await retry(
        async () => {
          if (!pending.length) return;
          const script = pending
            .map(
              (r) =>
                `if grep -q 'listening on' ${shQuote(r.remoteFile + '.err')} 2>/dev/null; then echo L; elif ${ALIVE(String(r.pid))}; then echo W; else echo "D $(tr '\\n' ' ' < ${shQuote(r.remoteFile + '.err')} 2>/dev/null)"; fi`,
            )
            .join('\n');
          const lines = (await this.pool.exec(node, script)).stdout.split('\n');
          pending.forEach((r, i) => {
            const l = lines[i] ?? '';
            if (l.startsWith('D')) r.failed = `tcpdump exited: ${l.slice(2).trim() || 'no message'}`;
          });
          pending = pending.filter((r, i) => !r.failed && !(lines[i] ?? '').startsWith('L'));
          if (pending.length) throw notYet;
        },
        // A fixed 150 ms poll: tcpdump usually listens within a few hundred ms.
        { deadlineMs: timeoutMs, delayMs: 150, factor: 1, retryable: (e) => e === notYet },
      );
    } catch (e) {
      if (!(e instanceof RetryError)) throw e;
      for (const r of pending) r.failed = `not listening after ${timeoutMs} ms`;
    }
  }

  get points(): readonly CapturePoint[] {
    return this.running.map((r) => r.point);
  }

  /** SIGINT every tcpdump (by PID), wait (bounded), SIGKILL leftovers; readable for SFTP. Runs even after an abort. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const graceTicks = Math.ceil((this.props.stopGraceMs ?? 5000) / 100);
    const nodes = [...new Set(this.running.map((r) => r.point.node))];
    await Promise.allSettled(
      nodes.map(async (node) => {
        const t0 = Date.now();
        const mine = this.running.filter((r) => r.point.node === node);
        const dir = shQuote(this.remoteDir);
        // PIDs from the node's pid files (written at start), so captures whose start answer never
        // arrived are stopped too; each is a `timeout` wrapper that passes SIGINT to its tcpdump.
        const script = [
          `pids=$(cat ${dir}/*.pid 2>/dev/null | tr '\\n' ' ')`,
          // Only PIDs still running our command line: a finished capture's PID may have been reused.
          `mine=; for p in $pids; do tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qF -- ${shQuote(this.remoteDir + '/')} && mine="$mine $p"; done; pids=$mine`,
          `[ -n "$pids" ] && kill -INT $pids 2>/dev/null`,
          `i=0; while [ -n "$pids" ] && [ $i -lt ${graceTicks} ]; do a=; for p in $pids; do ${ALIVE('$p')} && a=1; done; [ -z "$a" ] && break; sleep 0.1; i=$((i+1)); done`,
          // SIGKILL the timeout wrapper and its tcpdump child (found via /proc, by PID).
          `for p in $pids; do if ${ALIVE('$p')}; then for c in $(cat /proc/$p/task/*/children 2>/dev/null); do kill -KILL $c; done; kill -KILL $p; echo "killed $p" >&2; fi; done`,
          `chmod 0644 ${dir}/* 2>/dev/null`,
          ...mine.map(
            (r) =>
              `echo "$(grep -o '^[0-9]* packets captured' ${shQuote(r.remoteFile + '.err')} 2>/dev/null | cut -d' ' -f1)"`,
          ),
          'true',
        ].join('\n');
        const res = await this.pool.exec(node, script, {
          ignoreAbort: true,
          timeoutMs: (this.props.stopGraceMs ?? 5000) + 15000,
        });
        const counts = res.stdout.split('\n');
        mine.forEach((r, i) => {
          const n = Number(counts[i]);
          if (counts[i] && Number.isInteger(n)) r.packets = n;
        });
        if (res.stderr.includes('killed'))
          this.props.log?.(node, 'capture', `tcpdump needed SIGKILL: ${res.stderr.trim()}`);
        this.props.log?.(node, 'capture', `${mine.length} tcpdump stopped (${Date.now() - t0} ms)`);
      }),
    );
  }

  /** Download every pcap to `localDir` (named per captureFileName), then remove the remote dir. */
  async collect(localDir: string): Promise<CaptureFile[]> {
    if (!this.stopped) await this.stop();
    fs.mkdirSync(localDir, { recursive: true });
    const out: CaptureFile[] = [];
    const nodes = [...new Set(this.running.map((r) => r.point.node))];
    try {
      await this.pool.all(nodes, async (node) => {
        const t0 = Date.now();
        let bytes = 0;
        // SFTP requests of one connection run concurrently.
        await Promise.all(
          this.running
            .filter((x) => x.point.node === node)
            .map(async (r) => {
              const file = path.join(localDir, captureFileName(r.point));
              const base = {
                node,
                ns: r.point.ns,
                iface: r.point.iface,
                ...(r.point.containerId ? { containerId: r.point.containerId } : {}),
                file,
              };
              if (r.failed) {
                out.push({ ...base, failed: r.failed });
                return;
              }
              try {
                await this.pool.download(node, r.remoteFile, file);
                bytes += fs.statSync(file).size;
                out.push(base);
              } catch (e) {
                out.push({ ...base, failed: `download failed: ${(e as Error).message}` });
              }
            }),
        );
        this.props.log?.(node, 'collect', `${(bytes / 1024).toFixed(1)} KiB of pcaps (${Date.now() - t0} ms)`);
      });
    } finally {
      await this.cleanup();
    }
    const order = this.running.map((r) => captureFileName(r.point));
    return out.sort((a, b) => order.indexOf(path.basename(a.file)) - order.indexOf(path.basename(b.file)));
  }

  /** Packets tcpdump reported per point (after stop), keyed by local file name. */
  packetCounts(): Record<string, number | undefined> {
    return Object.fromEntries(this.running.map((r) => [captureFileName(r.point), r.packets]));
  }

  /** Remove the remote work dir on every node (after an abort too). */
  async cleanup(): Promise<void> {
    const nodes = [...new Set(this.running.map((r) => r.point.node))];
    await Promise.allSettled(
      nodes.map((n) => this.pool.exec(n, `rm -rf ${shQuote(this.remoteDir)}`, { ignoreAbort: true, timeoutMs: 15000 })),
    );
  }
}
