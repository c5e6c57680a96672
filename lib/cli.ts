/**
 * Command-line parsing for every swarm-lab CLI: node:util parseArgs (strict: unknown options and a
 * missing value are errors) plus a `--help` generated from the same option table, so the help
 * cannot drift from what is parsed. Errors are usage errors (exit 3) naming the option.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, SwarmLabError } from './exit';

type ParseOption = NonNullable<ParseArgsConfig['options']>[string];
/** One option: parseArgs' own fields, plus its help line and a value placeholder (`--out <dir>`). */
export type CliOption = ParseOption & { readonly help: string; readonly value?: string };

export interface CliSpec<O extends Record<string, CliOption>> {
  /** How it is called, e.g. `npm run e2e --`. */
  readonly usage: string;
  /** One or two sentences above the options. */
  readonly summary: string;
  readonly options: O;
  /** Placeholder for positionals (e.g. `<dir>`); without it positionals are an error. */
  readonly positionals?: string;
}

/** The generated help text: usage line, summary, one aligned line per option. */
export function helpText<O extends Record<string, CliOption>>(spec: CliSpec<O>): string {
  const rows = Object.entries<CliOption>({ ...spec.options, help: HELP }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`;
    const dflt = o.default !== undefined && o.default !== false ? ` (default ${String(o.default)})` : '';
    return [flag, `${o.help}${o.multiple ? ' (repeatable)' : ''}${dflt}`];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `usage: ${spec.usage} [options]${spec.positionals ? ` ${spec.positionals}` : ''}`,
    '',
    spec.summary,
    '',
    ...rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`),
    '',
  ].join('\n');
}

const HELP = { type: 'boolean', short: 'h', help: 'show this help and exit' } as const satisfies CliOption;

/**
 * Parse `argv` against the spec. `help` is true when --help/-h was given (the caller prints `text`
 * and exits 0). Throws a usage SwarmLabError for an unknown option, a missing value or a stray positional.
 */
export function parseCli<const O extends Record<string, CliOption>>(spec: CliSpec<O>, argv: readonly string[]) {
  const options = { ...spec.options, help: HELP };
  try {
    const r = parseArgs({ args: [...argv], options, strict: true, allowPositionals: !!spec.positionals });
    const help = (r.values as { help?: boolean }).help === true;
    return { values: r.values, positionals: r.positionals, help, text: helpText(spec) };
  } catch (e) {
    throw new SwarmLabError(EXIT.usage, (e as Error).message.split('. ')[0], {
      fix: `${spec.usage} --help lists the options`,
      cause: e,
    });
  }
}
