/**
 * One exit-code table for every swarm-lab command (verify, e2e, lab, provision, destroy, workshop, ...).
 * The README's "Exit codes" table is this list; a test keeps the two in step.
 */
export const EXIT = {
  /** Done: the path is proven, the command did what it says. */
  ok: 0,
  /** A verdict: a hop, a state check or an intent check is missing or wrong. */
  fail: 1,
  /** Could not judge: not enough captured, the service still converging, a namespace gone mid-round. */
  inconclusive: 2,
  /** Usage or configuration error: a bad flag, a bad lab file value, an unknown key. */
  usage: 3,
  /** The lab is in the wrong state for this command (not synthesized, not deployed, busy with another command). */
  state: 4,
  /** The environment failed: a missing tool, an unreachable node or libvirt, a command that failed on a node. */
  env: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each code means to a user, for the README's table (tools/gen-lab-docs.ts writes it). */
export const EXIT_MEANING: Readonly<Record<keyof typeof EXIT, string>> = {
  ok: 'done: the path is proven, the command did what it says (also: destroy of a lab with nothing deployed)',
  fail: 'a verdict: a hop, a state check or an intent check is missing or wrong',
  inconclusive: 'could not judge: not enough captured, the service still converging, a node unreachable mid-round',
  usage:
    'usage or configuration: a bad flag, a bad lab value or unknown key, a lab that would clash with another deployed lab, a private key others can read',
  state:
    'the lab is in the wrong state for the command (not synthesized, synthesized but not deployed, partly deployed, not running) or busy with another command',
  env: 'the environment failed: a missing tool, image or libvirtd socket, remote libvirt without key or known_hosts, cdktf run without the toolchain env',
};

export interface SwarmLabErrorContext {
  /** Node, field, hop or lab the message is about. */
  readonly subject?: string;
  /** What to run or change, one clause. */
  readonly fix?: string;
  readonly cause?: unknown;
}

/**
 * An error meant for the user: one line (`<message>[; fix: <fix>]`) and an exit code. Anything else that
 * reaches `runMain` is a bug and exits `env` with its stack shown only under `--debug`.
 */
export class SwarmLabError extends Error {
  readonly exitCode: ExitCode;
  readonly subject?: string;
  readonly fix?: string;
  constructor(exitCode: ExitCode, message: string, ctx: SwarmLabErrorContext = {}) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = 'SwarmLabError';
    this.exitCode = exitCode;
    this.subject = ctx.subject;
    this.fix = ctx.fix;
  }

  /** The one line a user sees. */
  line(): string {
    return `${this.message}${this.fix ? `; fix: ${this.fix}` : ''}`;
  }
}

/** The one line and code for anything thrown; `AggregateError`s list each part on the same line. */
export function describeError(err: unknown): { line: string; code: ExitCode } {
  if (err instanceof SwarmLabError) return { line: err.line(), code: err.exitCode };
  if (err instanceof AggregateError) {
    const parts = err.errors.map((e) => describeError(e));
    const code = parts.reduce<ExitCode>((c, p) => (p.code > c ? p.code : c), EXIT.ok);
    return { line: `${err.message}: ${parts.map((p) => p.line).join('; ')}`, code: code || EXIT.env };
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { line: msg.split('\n')[0] ?? msg, code: EXIT.env };
}

/**
 * Run a command's main: print `swarm-lab <command>: <one line>` on stderr for an error and exit with its code.
 * `--debug` in argv or SWARM_LAB_DEBUG=1 adds the stack.
 */
export function runMain(command: string, main: () => Promise<number | void>, argv = process.argv): void {
  const debug = argv.includes('--debug') || process.env.SWARM_LAB_DEBUG === '1';
  main().then(
    (code) => {
      process.exitCode = code ?? EXIT.ok;
    },
    (err: unknown) => {
      const { line, code } = describeError(err);
      process.stderr.write(`swarm-lab ${command}: ${line}\n`);
      if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = code;
    },
  );
}
