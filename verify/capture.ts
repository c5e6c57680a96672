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
import { SH_NOW_FUNCTION, shQuote, SshPool } from './ssh';

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
  /**
   * The nodes' tool probe as discovery read it this round (tool -> path, by node): a node found there
   * is not probed again. Default: probe each node first.
   */
  readonly tools?: Readonly<Record<string, Readonly<Record<string, string | undefined>>>>;
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

/**
 * Shell functions the poll and stop scripts share, builtins only (POSIX sh: dash on Debian, bash on
 * CentOS): on TCG every fork+exec costs tens of ms, and a per-PID `$(cut ...)` per 100 ms tick made
 * node-10's stop of 11 tcpdumps take 12.7 s.
 * - `swl_alive PID`: running (its /proc stat readable and state not Z/X). The state is the field
 *   after the last `) `, since the command name in parentheses may hold spaces.
 * - `swl_now`: `$up` = uptime in centiseconds (/proc/uptime has two decimals), for a grace bounded
 *   in time rather than in ticks.
 */
const SH_FUNCS = [
  `swl_alive() { l=; { read -r l < "/proc/$1/stat"; } 2>/dev/null || return 1; l=\${l##*) }; case \${l%% *} in ''|Z|X) return 1;; esac; }`,
  SH_NOW_FUNCTION,
];

/**
 * `swl_mine FILES...`: `$mine` = the PIDs among `/proc/<pid>/cmdline` FILES that still run a command
 * line holding `$d/` (our remote dir: a finished capture's PID may have been reused). One `grep` for
 * all of them; the PID comes back from the file name.
 */
const SH_MINE = `swl_mine() { mine=; [ $# -gt 0 ] || return 0; for f in $(grep -l -a -F -- "$d/" "$@" 2>/dev/null); do f=\${f#/proc/}; mine="$mine \${f%/cmdline}"; done; }`;

/**
 * The poll run while waiting for every tcpdump to listen: one line per point, in order, `L`
 * (its stderr says `listening on`), `W` (still starting) or `D <first lines of its stderr>` (exited).
 * Builtins only (`read` over the small .err file, `swl_alive`), so a poll costs no fork per point.
 */
export function listenPollScript(points: ReadonlyArray<{ pid: number; errFile: string }>): string {
  return [
    ...SH_FUNCS,
    // `$s` = L when the file shows `listening on`, else W; `$m` = its first 5 lines on one line.
    `swl_read() { s=W; m=; n=0; [ -r "$1" ] || return 0; while IFS= read -r l || [ -n "$l" ]; do case $l in *'listening on'*) s=L; return 0;; esac; n=$((n+1)); [ $n -le 5 ] && m="$m $l"; l=; done < "$1"; }`,
    // Dead: read again, since it may have written its last words (or `listening on`) meanwhile.
    `swl_poll() { swl_read "$2"; if [ $s = W ] && ! swl_alive "$1"; then swl_read "$2"; [ $s = W ] && s="D$m"; fi; printf '%s\\n' "$s"; }`,
    ...points.map((x) => `swl_poll ${x.pid} ${shQuote(x.errFile)}`),
  ].join('\n');
}

/**
 * The stop script of one node's captures in `dir`. Forks: one `grep` for the command lines, one
 * `sleep 0.1` per tick while any tcpdump still runs, one `grep` again only before a SIGKILL, one
 * `chmod` and one `grep -H` for the packet counts; everything per PID is a builtin.
 * 1. PIDs from the node's pid files (written at start, so a capture whose start answer never
 *    arrived is stopped too), numbers > 1 only, never this shell's own; each is a `timeout` wrapper.
 * 2. Only those still running our dir's command line; stopped by PID, never by name.
 * 3. SIGINT (timeout passes it to its tcpdump, which writes its count and exits), then wait until
 *    none is alive or `graceMs` has passed (measured on /proc/uptime, not counted in ticks).
 * 4. Still alive: checked once more to be ours, then SIGKILL of its children (tcpdump, from /proc)
 *    and of the wrapper, each named `killed <pid>` on stderr; then a bounded wait (1 s) until they
 *    are gone (a `sleep 0.1` per tick).
 * 5. Files made readable for SFTP; `<file>.err:<n> packets captured` per capture on stdout.
 */
export function stopScript(dir: string, graceMs: number): string {
  const graceCs = Math.max(1, Math.ceil(graceMs / 10));
  return [
    ...SH_FUNCS,
    SH_MINE,
    `d=${shQuote(dir)}`,
    `set --; for f in "$d"/*.pid; do p=; { read -r p < "$f"; } 2>/dev/null; case $p in ''|*[!0-9]*) continue;; esac; [ "$p" -gt 1 ] && [ "$p" != $$ ] && set -- "$@" "/proc/$p/cmdline"; done`,
    `swl_mine "$@"; pids=$mine`,
    `[ -n "$pids" ] && kill -INT $pids 2>/dev/null`,
    `swl_now; end=$((up + ${graceCs}))`,
    `while [ -n "$pids" ]; do a=; for p in $pids; do swl_alive $p && a="$a $p"; done; pids=$a; [ -z "$pids" ] && break; swl_now; [ "$up" -ge "$end" ] && break; sleep 0.1; done`,
    `if [ -n "$pids" ]; then set --; for p in $pids; do set -- "$@" "/proc/$p/cmdline"; done; swl_mine "$@"; pids=$mine; fi`,
    `killed=; for p in $pids; do k=; for c in /proc/$p/task/*/children; do r=; { read -r r < "$c"; } 2>/dev/null; k="$k $r"; done; kill -KILL $k $p 2>/dev/null; killed="$killed $k $p"; echo "killed $p" >&2; done`,
    // SIGKILL is delivered, not waited for: wait (1 s at most) until the killed ones are gone, so no
    // tcpdump still holds its pcap when the download starts.
    `n=0; while [ -n "$killed" ] && [ $n -lt 10 ]; do a=; for p in $killed; do swl_alive $p && a="$a $p"; done; killed=$a; [ -z "$killed" ] && break; sleep 0.1; n=$((n + 1)); done`,
    `chmod 0644 "$d"/* 2>/dev/null`,
    `grep -H -E '^[0-9]+ packets captured' "$d"/*.err 2>/dev/null`,
    'true',
  ].join('\n');
}

/** tcpdump's own "N packets captured" per capture file name, from the stop script's `grep -H` lines. */
export function parsePacketCounts(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const m = /^(.*)\.err:(\d+) packets captured/.exec(line);
    if (m) out.set(path.posix.basename(m[1]), Number(m[2]));
  }
  return out;
}

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
        const found =
          props.tools?.[node] ??
          parseToolProbe((await pool.exec(node, toolProbeCommand(['tcpdump', 'nsenter', 'timeout']))).stdout);
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
          const script = listenPollScript(pending.map((r) => ({ pid: r.pid ?? 0, errFile: r.remoteFile + '.err' })));
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
    const nodes = [...new Set(this.running.map((r) => r.point.node))];
    await Promise.allSettled(
      nodes.map(async (node) => {
        const t0 = Date.now();
        const mine = this.running.filter((r) => r.point.node === node);
        const script = stopScript(this.remoteDir, this.props.stopGraceMs ?? 5000);
        const res = await this.pool.exec(node, script, {
          ignoreAbort: true,
          timeoutMs: (this.props.stopGraceMs ?? 5000) + 15000,
        });
        const counts = parsePacketCounts(res.stdout);
        for (const r of mine) r.packets = counts.get(path.posix.basename(r.remoteFile));
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
