/** Reading `iptables-save` text: tables, chains, rules, and which chains a builtin reaches. */

export interface Rule {
  readonly table: string;
  readonly chain: string;
  /** Arguments after `-A <chain>`. */
  readonly args: readonly string[];
  readonly text: string;
  /** `-j` or `-g` target. */
  readonly target?: string;
}

export interface Ruleset {
  readonly rules: readonly Rule[];
  readonly tables: ReadonlySet<string>;
}

export function parseIptablesSave(text: string): Ruleset {
  const rules: Rule[] = [];
  const tables = new Set<string>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      tables.add(table);
    } else if (line.startsWith('-A ')) {
      const args = splitArgs(line);
      const chain = args[1];
      const rest = args.slice(2);
      const j = rest.findIndex((a) => a === '-j' || a === '-g');
      rules.push({ table, chain, args: rest, text: line, ...(j >= 0 && rest[j + 1] ? { target: rest[j + 1] } : {}) });
    }
  }
  return { rules, tables };
}

/** Split on spaces, keeping double-quoted arguments (comments) together. */
function splitArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]);
  return out;
}

/** Value after an option, e.g. opt(rule, '--dport'). */
export function opt(r: Rule, name: string): string | undefined {
  const i = r.args.indexOf(name);
  return i >= 0 ? r.args[i + 1] : undefined;
}

/** Chains reachable from `start` in `table` (start included), following jumps and gotos. */
export function reachable(rs: Ruleset, table: string, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length) {
    const c = queue.shift() as string;
    for (const r of rs.rules) {
      if (
        r.table === table &&
        r.chain === c &&
        r.target &&
        !seen.has(r.target) &&
        /^[A-Z_-]+$/.test(r.target) &&
        !BUILTIN_TARGETS.has(r.target)
      ) {
        seen.add(r.target);
        queue.push(r.target);
      }
    }
  }
  return seen;
}

const BUILTIN_TARGETS = new Set([
  'ACCEPT',
  'DROP',
  'RETURN',
  'REJECT',
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'REDIRECT',
  'MARK',
  'LOG',
  'CONNMARK',
  'NOTRACK',
  'CT',
  'TPROXY',
]);

/** Rules of `table` in any chain reachable from `start`. */
export function rulesFrom(rs: Ruleset, table: string, start: string): Rule[] {
  const chains = reachable(rs, table, start);
  return rs.rules.filter((r) => r.table === table && chains.has(r.chain));
}

/** Does a chain path exist, each chain jumping to the next? */
export function hasJumpPath(rs: Ruleset, table: string, path: readonly string[]): boolean {
  for (let i = 0; i + 1 < path.length; i++) {
    if (!rs.rules.some((r) => r.table === table && r.chain === path[i] && r.target === path[i + 1])) return false;
  }
  return true;
}

/** Mark value of a MARK rule (`--set-xmark 0x100/0xffffffff` or `--set-mark 0x100`). */
export function markValue(r: Rule): number | undefined {
  const v = opt(r, '--set-xmark') ?? opt(r, '--set-mark');
  if (!v) return undefined;
  const n = Number(v.split('/')[0]);
  return Number.isFinite(n) ? n : undefined;
}
