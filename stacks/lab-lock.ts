/**
 * One command per lab at a time: `<labDir>/lock` holds the holder's pid, its start time (so a reused
 * pid is not mistaken for the holder), the command and when it started. A second command gets one
 * line naming the holder (exit `state`). A lock whose holder is gone (killed, host rebooted) is taken
 * over, and the taker is told what was interrupted so it can converge.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';

export interface LockHolder {
  readonly pid: number;
  /** /proc/<pid>/stat field 22 (start time in clock ticks since boot); '' where /proc is absent. */
  readonly start: string;
  readonly command: string;
  readonly since: string;
}

export interface HeldLock {
  readonly file: string;
  /** The holder a previous, interrupted command left, if any. */
  readonly interrupted?: LockHolder;
  release(): void;
}

export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(h: LockHolder): boolean {
  const start = processStart(h.pid);
  return start !== undefined && (h.start === '' || start === h.start);
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** The live holder of a lab's lock, if any (for read-only checks). */
export function lockHolder(labDir: string): LockHolder | undefined {
  const h = readHolder(path.join(labDir, 'lock'));
  return h && alive(h) ? h : undefined;
}

/** The holder of a lock whose process is gone (an interrupted command), if any. */
export function staleHolder(labDir: string): LockHolder | undefined {
  const h = readHolder(path.join(labDir, 'lock'));
  return h && !alive(h) ? h : undefined;
}

export function busyError(lab: string, file: string, h: LockHolder): SwarmLabError {
  return new SwarmLabError(
    EXIT.state,
    `lab ${lab} is busy: ${h.command} (pid ${h.pid}) holds ${file} since ${h.since}`,
    { subject: lab, fix: `wait for it to finish, or stop it (kill -INT ${h.pid})` },
  );
}

/**
 * Take the lab's lock for `command` (held by `pid`, default this process). Creating the file with
 * O_EXCL is the lock; a stale one is renamed away first (rename is atomic, so two takers cannot both win
 * the same stale file).
 */
export function acquireLabLock(lab: string, labDir: string, command: string, pid = process.pid): HeldLock {
  const file = path.join(labDir, 'lock');
  const me: LockHolder = {
    pid,
    start: processStart(pid) ?? '',
    command,
    since: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  let interrupted: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.mkdirSync(labDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        file,
        interrupted,
        release: () => {
          if (released) return;
          released = true;
          // Only our own lock: a taker may have replaced a lock we held past our death.
          if (readHolder(file)?.pid === me.pid && readHolder(file)?.since === me.since)
            fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const h = readHolder(file);
    if (h && alive(h)) throw busyError(lab, file, h);
    const aside = `${file}.stale-${pid}`;
    try {
      fs.renameSync(file, aside);
      interrupted = readHolder(aside) ?? h;
      fs.rmSync(aside, { force: true });
    } catch {
      // Another taker moved it first; try again.
    }
  }
  const h = readHolder(file);
  throw h ? busyError(lab, file, h) : new SwarmLabError(EXIT.state, `lab ${lab}: cannot take ${file}`);
}
