/**
 * Several independent commands on one node in ONE exec: each SSH exec costs a session, a shell and
 * (for non-root users) a sudo on the node, and on a 1-vCPU TCG guest those add up. The script runs
 * the parts one after the other and prints each one's stdout, stderr and exit code between markers;
 * `splitBatch` gives back one `ExecResult` per part, and `checked` throws the very error a lone
 * `pool.exec` of the failing part would (node, command, exit code, stderr).
 */
import { SH_API_FUNCTION } from './engine-api';
import { RemoteCommandError, type ExecOptions, type ExecResult, type SshPool } from './ssh';

const MARK = '@@swl-batch';

const usesApi = (command: string): boolean => /(^|[\s;|&({])swl_api /.test(command);

/** The script for `commands` (each a one-line shell command; parts read no stdin). */
export function batchScript(commands: readonly string[]): string {
  for (const c of commands)
    if (c.includes('\n')) throw new Error(`batchScript: a part must be one line: ${JSON.stringify(c)}`);
  return [
    'e=$(mktemp)',
    // Engine API reads (verify/engine-api.ts) need their shell function, defined once for the batch.
    ...(commands.some(usesApi) ? [SH_API_FUNCTION] : []),
    // A subshell per part: an `exit` in one ends only that part. The newline before each end marker lets a part's last line lack one; the parser removes exactly it.
    ...commands.map(
      (c, i) =>
        `echo '${MARK} out ${i}'; ( ${c} ) 2>"$e" </dev/null; r=$?; printf '\\n${MARK} err ${i}\\n'; cat "$e"; printf '\\n${MARK} rc ${i} %s\\n' "$r"`,
    ),
    'rm -f "$e"',
  ].join('\n');
}

/** The commands of a `batchScript` (for replaying transcripts recorded before commands were batched). */
export function batchParts(script: string): string[] | undefined {
  const lines = script.split('\n');
  if (lines[0] !== 'e=$(mktemp)' || lines[lines.length - 1] !== 'rm -f "$e"') return undefined;
  const parts: string[] = [];
  const body = lines.slice(1, -1);
  // The API function's definition (its text may differ in rounds recorded by an older verify).
  if (body[0]?.startsWith('swl_api() {')) body.shift();
  for (const l of body) {
    const m = new RegExp(`^echo '${MARK} out (\\d+)'; \\( (.*) \\) 2>"\\$e" </dev/null; r=\\$\\?; `).exec(l);
    if (!m || Number(m[1]) !== parts.length) return undefined;
    parts.push(m[2]);
  }
  return parts;
}

/** What `batchScript` prints for parts that gave `results` (the inverse of `splitBatch`). */
export function formatBatchOutput(results: readonly ExecResult[]): string {
  return results
    .map((r, i) => `${MARK} out ${i}\n${r.stdout}\n${MARK} err ${i}\n${r.stderr}\n${MARK} rc ${i} ${r.code}\n`)
    .join('');
}

/** One result per part from the batch's stdout; a part whose end marker is missing (output cut short) is undefined. */
export function splitBatch(count: number, stdout: string): Array<ExecResult | undefined> {
  const out: Array<ExecResult | undefined> = [];
  let rest = stdout;
  for (let i = 0; i < count; i++) {
    const open = `${MARK} out ${i}\n`;
    const mid = `\n${MARK} err ${i}\n`;
    const end = new RegExp(`\\n${MARK} rc ${i} (\\d+)\\n`);
    const a = rest.indexOf(open);
    const b = a < 0 ? -1 : rest.indexOf(mid, a + open.length);
    const m = b < 0 ? null : end.exec(rest.slice(b + mid.length));
    if (a < 0 || b < 0 || !m) {
      out.push(undefined);
      continue;
    }
    const errStart = b + mid.length;
    out.push({
      stdout: rest.slice(a + open.length, b),
      stderr: rest.slice(errStart, errStart + m.index),
      code: Number(m[1]),
    });
    rest = rest.slice(errStart + m.index + m[0].length);
  }
  return out;
}

export interface BatchResult {
  readonly node: string;
  /** The node's SSH address (for the error a failing part throws). */
  readonly host: string;
  readonly command: string;
  /** The whole batch's exit code and stderr (what explains a part that never finished). */
  readonly batch: { readonly code: number; readonly stderr: string };
  /** Undefined when the batch's output ended before this part's end marker. */
  readonly result?: ExecResult;
}

/** Run `commands` on `node` in one exec; one result per part, in order (a failing part does not stop the others). */
export async function execBatch(
  pool: SshPool,
  node: string,
  commands: readonly string[],
  opts: Omit<ExecOptions, 'check'> = {},
): Promise<BatchResult[]> {
  if (!commands.length) return [];
  const r = await pool.exec(node, batchScript(commands), { ...opts, check: false });
  const parts = splitBatch(commands.length, r.stdout);
  const host = hostOf(pool, node);
  const batch = { code: r.code, stderr: r.stderr };
  return commands.map((command, i) => ({ node, host, command, batch, ...(parts[i] ? { result: parts[i] } : {}) }));
}

function hostOf(pool: SshPool, node: string): string {
  try {
    return pool.target(node).host;
  } catch {
    return node; // pools that replay recordings know nodes only
  }
}

/**
 * The part's stdout, or the error a lone `pool.exec(node, part.command)` would throw: a non-zero exit
 * names the command, its code and stderr; a part the batch never finished says so.
 */
export function checked(part: BatchResult): string {
  const { node, host, result: r, batch } = part;
  if (!r)
    throw new RemoteCommandError(
      node,
      host,
      part.command,
      null,
      '',
      batch.stderr,
      `did not finish (its batch exited ${batch.code} before this part's end)`,
    );
  if (r.code !== 0)
    throw new RemoteCommandError(node, host, part.command, r.code, r.stdout, r.stderr, `exited ${r.code}`);
  return r.stdout;
}

/** Exit code of a command the shell did not find, and of nsenter's "failed to execute": the tool is not installed. */
const NOT_FOUND = 127;

/**
 * The parts of one batch, added one by one and read back by the index `add` gave: `required` throws
 * the lone exec's error (node, command, exit code, stderr), `optional` is undefined when the part
 * failed (best-effort reads), `unlessMissing` is undefined only when its tool is not installed.
 */
export class BatchReads {
  private readonly commands: string[] = [];
  private results: BatchResult[] = [];

  add(command: string): number {
    this.commands.push(command);
    return this.commands.length - 1;
  }

  async run(pool: SshPool, node: string, opts: Omit<ExecOptions, 'check'> = {}): Promise<void> {
    this.results = await execBatch(pool, node, this.commands, opts);
  }

  required(i: number): string {
    return checked(this.results[i]);
  }

  /** The part's own result; undefined when the batch ended before it. */
  result(i: number): ExecResult | undefined {
    return this.results[i].result;
  }

  optional(i: number): string | undefined {
    const r = this.results[i].result;
    return r?.code === 0 ? r.stdout : undefined;
  }

  unlessMissing(i: number): string | undefined {
    return this.results[i].result?.code === NOT_FOUND ? undefined : this.required(i);
  }
}
