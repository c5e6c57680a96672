/**
 * Process and namespace helpers for harnesses: run a command, start a tracked child by PID,
 * stop a process tree by PID (never by name), create/remove network namespaces.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';

/** Run a command synchronously; throw with argv, exit code and stderr on failure. */
export function run(argv: string[], input?: string): string {
  try {
    return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { status?: number; stderr?: string };
    throw new Error(`${argv.join(' ')} failed (exit ${err.status}): ${String(err.stderr ?? '').trim()}`, {
      cause: e,
    });
  }
}

/** `ip netns exec <ns> <argv...>` synchronously. */
export function nsRun(ns: string, argv: string[], input?: string): string {
  return run(['ip', 'netns', 'exec', ns, ...argv], input);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); count it as gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** PIDs of all descendants of `pid` (from /proc), deepest last. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stop a process and its descendants by PID: TERM, bounded wait, then KILL. */
export async function stopTree(pid: number, graceMs = 2000): Promise<void> {
  const all = [pid, ...descendants(pid)];
  for (const p of all) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && all.some(pidAlive)) await sleep(50);
  for (const p of all.filter(pidAlive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const hard = Date.now() + 2000;
  while (Date.now() < hard && all.some(pidAlive)) await sleep(50);
}

export interface Tracked {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Collected stderr (bounded) for error messages. */
  stderr(): string;
}

/** Spawn a long-running child inside a namespace; resolve once `readyLine` shows on stdout/stderr. */
export function spawnInNs(
  ns: string,
  argv: string[],
  readyLine: RegExp | undefined,
  timeoutMs = 10000,
): Promise<Tracked> {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const tracked: Tracked = { pid: child.pid ?? -1, child, stderr: () => err };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(new Error(`${argv[0]} in netns ${ns} not ready after ${timeoutMs} ms; stderr: ${err.trim()}`));
    }, timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      if (child.pid) void stopTree(child.pid);
      reject(e);
    };
    const check = (): void => {
      if (!readyLine || readyLine.test(out) || readyLine.test(err)) {
        clearTimeout(timer);
        resolve(tracked);
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < 65536) out += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 65536) err += d.toString();
      check();
    });
    child.on('error', (e) => fail(e));
    child.on('exit', (code) =>
      fail(new Error(`${argv.join(' ')} in netns ${ns} exited early (code ${code}): ${err.trim()}`)),
    );
    if (!readyLine) setImmediate(check);
  });
}

export function netnsList(): string[] {
  return run(['ip', 'netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}
