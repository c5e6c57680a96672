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
  /** Declared chains `<table>/<chain>` -> policy (`-` for user chains). */
  readonly chains: ReadonlyMap<string, string>;
}

export function parseIptablesSave(text: string): Ruleset {
  const rules: Rule[] = [];
  const tables = new Set<string>();
  const chains = new Map<string, string>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      tables.add(table);
    } else if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      chains.set(`${table}/${name}`, policy ?? '-');
    } else if (line.startsWith('-A ')) {
      const args = splitArgs(line);
      const chain = args[1];
      const rest = args.slice(2);
      const j = rest.findIndex((a) => a === '-j' || a === '-g');
      rules.push({ table, chain, args: rest, text: line, ...(j >= 0 && rest[j + 1] ? { target: rest[j + 1] } : {}) });
    }
  }
  return { rules, tables, chains };
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

/** The packet a chain walk follows: what iptables-save rules can match on. Unknown fields never match. */
export interface WalkPacket {
  readonly proto: 'tcp' | 'udp';
  readonly src?: string;
  readonly dst?: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly inIface?: string;
  readonly outIface?: string;
  readonly mark?: number;
  /** conntrack state of this packet (`NEW` for a SYN). */
  readonly ctstate?: string;
  /** addrtype: the destination / source is an address of this host. */
  readonly dstLocal?: boolean;
  readonly srcLocal?: boolean;
  /** `-m ipvs --ipvs`: the packet belongs to an IPVS connection. */
  readonly ipvs?: boolean;
}

export interface WalkResult {
  /** Terminal target that decided (ACCEPT, DROP, REJECT, DNAT, SNAT, REDIRECT, MASQUERADE), or the policy. */
  readonly verdict: string;
  /** The rule that decided; absent when the builtin chain's policy did. */
  readonly rule?: Rule;
  readonly policy: boolean;
  /** The chain stack when the verdict fell: `start` first, the deciding chain last. */
  readonly chainPath: readonly string[];
  /** Every chain entered, in order (also those that returned). */
  readonly visited: readonly string[];
  /** Non-terminating targets met on the way (MARK, LOG, CONNMARK, ...). */
  readonly applied: readonly Rule[];
  /** Rules whose match could not be evaluated from iptables-save (skipped as not matching). */
  readonly undecided: readonly Rule[];
}

const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NOTRACK']);
const NON_TERMINAL_BUILTIN = new Set(['MARK', 'LOG', 'CONNMARK', 'CT', 'TPROXY', 'NFLOG', 'TRACE', 'CHECKSUM']);

/** Index of the target (`-j`/`-g`) in a rule's args; matches are before it. */
function targetIndex(r: Rule): number {
  const i = r.args.findIndex((a) => a === '-j' || a === '-g');
  return i < 0 ? r.args.length : i;
}

function ipToInt(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0 : undefined;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [net, len = '32'] = cidr.split('/');
  const a = ipToInt(ip);
  const b = ipToInt(net);
  if (a === undefined || b === undefined) return false;
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

const ifaceMatch = (pat: string, name: string) =>
  pat.endsWith('+') ? name.startsWith(pat.slice(0, -1)) : name === pat;
const portMatch = (spec: string, port: number) =>
  spec.split(',').some((p) => {
    const [lo, hi] = p.split(':').map(Number);
    return hi === undefined ? port === lo : port >= lo && port <= hi;
  });

/** Does the rule match the packet? `undefined`: a match iptables-save shows but this walker cannot decide. */
export function ruleMatches(r: Rule, p: WalkPacket): boolean | undefined {
  const end = targetIndex(r);
  const a = r.args;
  let neg = false;
  let undecided = false;
  for (let i = 0; i < end; i++) {
    const o = a[i];
    if (o === '!') {
      neg = true;
      continue;
    }
    const v = a[i + 1];
    let ok: boolean | undefined;
    switch (o) {
      case '-p':
        ok = v === 'all' || v === p.proto;
        i++;
        break;
      case '-s':
        ok = p.src !== undefined ? inCidr(p.src, v) : undefined;
        i++;
        break;
      case '-d':
        ok = p.dst !== undefined ? inCidr(p.dst, v) : undefined;
        i++;
        break;
      case '-i':
        ok = p.inIface !== undefined ? ifaceMatch(v, p.inIface) : undefined;
        i++;
        break;
      case '-o':
        ok = p.outIface !== undefined ? ifaceMatch(v, p.outIface) : undefined;
        i++;
        break;
      case '-m':
        i++;
        continue;
      case '--dport':
      case '--dports':
        ok = p.dport !== undefined ? portMatch(v, p.dport) : undefined;
        i++;
        break;
      case '--sport':
      case '--sports':
        ok = p.sport !== undefined ? portMatch(v, p.sport) : undefined;
        i++;
        break;
      case '--ctstate':
      case '--state':
        ok = p.ctstate !== undefined ? v.split(',').includes(p.ctstate) : undefined;
        i++;
        break;
      case '--dst-type':
        ok = v === 'LOCAL' && p.dstLocal !== undefined ? p.dstLocal : undefined;
        i++;
        break;
      case '--src-type':
        ok = v === 'LOCAL' && p.srcLocal !== undefined ? p.srcLocal : undefined;
        i++;
        break;
      case '--mark': {
        const [val, mask = '0xffffffff'] = v.split('/');
        ok = p.mark !== undefined ? (p.mark & Number(mask)) === (Number(val) & Number(mask)) : undefined;
        i++;
        break;
      }
      case '--ipvs':
        ok = p.ipvs;
        break;
      case '--comment':
        i++;
        continue;
      default:
        // An option this walker does not know (and its value, if the next token is not an option).
        if (a[i + 1] !== undefined && !a[i + 1].startsWith('-') && a[i + 1] !== '!') i++;
        undecided = true;
        neg = false;
        continue;
    }
    if (ok === undefined) undecided = true;
    else if (ok === neg) return false;
    neg = false;
  }
  return undecided ? undefined : true;
}

/**
 * Walk `table`'s `start` chain the way the kernel does for one packet: rules in order, jumps and
 * gotos into user chains, RETURN, the builtin chain's policy at its end.
 */
export function walkChain(rs: Ruleset, table: string, start: string, p: WalkPacket): WalkResult {
  const byChain = new Map<string, Rule[]>();
  for (const r of rs.rules) if (r.table === table) byChain.set(r.chain, [...(byChain.get(r.chain) ?? []), r]);
  const applied: Rule[] = [];
  const undecided: Rule[] = [];
  const visited: string[] = [start];
  // Frames: chain and next rule index. A goto replaces the frame, so RETURN goes to the caller's caller.
  const stack: Array<{ chain: string; i: number }> = [{ chain: start, i: 0 }];
  for (let steps = 0; stack.length && steps < 10000; steps++) {
    const f = stack[stack.length - 1];
    const rules = byChain.get(f.chain) ?? [];
    if (f.i >= rules.length) {
      stack.pop();
      if (!stack.length) {
        const policy = rs.chains.get(`${table}/${start}`) ?? 'ACCEPT';
        return {
          verdict: policy === '-' ? 'RETURN' : policy,
          policy: true,
          chainPath: [start],
          visited,
          applied,
          undecided,
        };
      }
      continue;
    }
    const r = rules[f.i++];
    const m = ruleMatches(r, p);
    if (m === undefined) undecided.push(r);
    if (!m || !r.target) continue;
    if (r.target === 'RETURN') {
      stack.pop();
      if (!stack.length) {
        const policy = rs.chains.get(`${table}/${start}`) ?? 'ACCEPT';
        return { verdict: policy, policy: true, chainPath: [start], visited, applied, undecided };
      }
      continue;
    }
    if (TERMINAL.has(r.target))
      return {
        verdict: r.target,
        rule: r,
        policy: false,
        chainPath: stack.map((x) => x.chain),
        visited,
        applied,
        undecided,
      };
    if (NON_TERMINAL_BUILTIN.has(r.target) || !rs.chains.has(`${table}/${r.target}`)) {
      applied.push(r);
      continue;
    }
    visited.push(r.target);
    const isGoto = r.args[targetIndex(r)] === '-g';
    if (isGoto) stack.pop();
    stack.push({ chain: r.target, i: 0 });
  }
  return { verdict: 'RETURN', policy: true, chainPath: [start], visited, applied, undecided };
}

/** Is a chain declared, and does it hold rules? */
export function chainState(rs: Ruleset, table: string, chain: string): 'present' | 'empty' | 'absent' {
  if (rs.rules.some((r) => r.table === table && r.chain === chain)) return 'present';
  return rs.chains.has(`${table}/${chain}`) ? 'empty' : 'absent';
}
