/**
 * `nft -j list ruleset` (nftables 1.0 JSON schema 1) as typed tables, chains and rules: what Docker's
 * nftables backend (29.x, lab dockerFirewallBackend nftables) programs on a node. Only the statement
 * shapes Docker's rules use are typed (payload/meta/ct/fib matches, jump/goto/verdicts, dnat/snat/
 * masquerade/redirect); anything else is kept as `other` so a rule is never silently half-read.
 */
import { ParseError } from './docker';

export interface NftChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  /** Base chains only: `prerouting`, `forward`, ... */
  readonly hook?: string;
  readonly type?: string;
  readonly prio?: number;
  readonly policy?: string;
}

/** One match: `<left> <op> <right>`, left named as nft prints it (`tcp dport`, `iifname`, `ct state`, `fib daddr type`). */
export interface NftMatch {
  readonly left: string;
  readonly op: string;
  readonly right: string;
}

export interface NftNat {
  readonly kind: 'dnat' | 'snat' | 'masquerade' | 'redirect';
  readonly addr?: string;
  readonly port?: number;
}

export interface NftRule {
  readonly family: string;
  readonly table: string;
  readonly chain: string;
  readonly handle: number;
  readonly comment?: string;
  readonly matches: readonly NftMatch[];
  /** accept, drop, return, jump, goto, vmap (a verdict map keyed by `matches`' left). */
  readonly verdict?: { readonly kind: string; readonly target?: string };
  readonly nat?: NftNat;
  /** Statements this reader does not type (counter is dropped: it decides nothing). */
  readonly other: readonly string[];
}

export interface NftRuleset {
  readonly tables: ReadonlyArray<{ readonly family: string; readonly name: string }>;
  readonly chains: readonly NftChain[];
  readonly rules: readonly NftRule[];
}

type Json = Record<string, unknown>;

/** A JSON scalar as text (numbers and names as nft prints them; anything else as JSON). */
const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);

/** The left side of a match, as nft's text form names it. */
function leftName(l: unknown): string {
  const o = l as Json;
  if (o?.payload) {
    const p = o.payload as Json;
    return p.protocol ? `${str(p.protocol)} ${str(p.field)}` : `@${str(p.base)},${str(p.offset)},${str(p.len)}`;
  }
  if (o?.meta) return str((o.meta as Json).key);
  if (o?.ct) return `ct ${str((o.ct as Json).key)}`;
  if (o?.fib) return `fib ${((o.fib as Json).flags as string[]).join(' ')} ${str((o.fib as Json).result)}`;
  return JSON.stringify(l);
}

/** The right side: `172.18.0.0/16`, `9090`, `established,related`, `@set`. */
function rightText(r: unknown): string {
  if (Array.isArray(r)) return r.map(rightText).join(',');
  if (r && typeof r === 'object') {
    const o = r as Json;
    if (o.prefix) return `${str((o.prefix as Json).addr)}/${str((o.prefix as Json).len)}`;
    if (o.range) return (o.range as unknown[]).map(rightText).join('-');
    if (o.set) return rightText(o.set);
    return JSON.stringify(r);
  }
  return str(r);
}

function readRule(r: Json): NftRule {
  const matches: NftMatch[] = [];
  const other: string[] = [];
  let verdict: NftRule['verdict'];
  let nat: NftNat | undefined;
  for (const e of (r.expr as Json[] | undefined) ?? []) {
    const [k, v] = Object.entries(e)[0] ?? [];
    const o = v as Json;
    if (k === 'match') matches.push({ left: leftName(o.left), op: String(o.op), right: rightText(o.right) });
    else if (k === 'counter') continue;
    else if (k === 'accept' || k === 'drop' || k === 'return' || k === 'continue') verdict = { kind: k };
    else if (k === 'jump' || k === 'goto') verdict = { kind: k, target: String(o.target) };
    else if (k === 'vmap') {
      matches.push({ left: leftName(o.key), op: 'vmap', right: String(o.data) });
      verdict = { kind: 'vmap', target: String(o.data) };
    } else if (k === 'dnat' || k === 'snat' || k === 'redirect' || k === 'masquerade') {
      nat = {
        kind: k,
        ...(o?.addr !== undefined ? { addr: str(o.addr) } : {}),
        ...(o?.port !== undefined ? { port: Number(o.port) } : {}),
      };
    } else other.push(JSON.stringify(e));
  }
  return {
    family: String(r.family),
    table: String(r.table),
    chain: String(r.chain),
    handle: Number(r.handle),
    ...(r.comment !== undefined ? { comment: str(r.comment) } : {}),
    matches,
    ...(verdict ? { verdict } : {}),
    ...(nat ? { nat } : {}),
    other,
  };
}

export function parseNftJson(text: string): NftRuleset {
  let doc: { nftables?: Json[] };
  try {
    doc = JSON.parse(text) as { nftables?: Json[] };
  } catch (e) {
    throw new ParseError('nft -j list ruleset', `not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(doc?.nftables)) throw new ParseError('nft -j list ruleset', 'no "nftables" array');
  const tables: Array<{ family: string; name: string }> = [];
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  for (const item of doc.nftables) {
    if (item.table) {
      const t = item.table as Json;
      tables.push({ family: String(t.family), name: String(t.name) });
    } else if (item.chain) {
      const c = item.chain as Json;
      chains.push({
        family: String(c.family),
        table: String(c.table),
        name: String(c.name),
        ...(c.hook !== undefined ? { hook: str(c.hook) } : {}),
        ...(c.type !== undefined ? { type: str(c.type) } : {}),
        ...(c.prio !== undefined ? { prio: Number(c.prio) } : {}),
        ...(c.policy !== undefined ? { policy: str(c.policy) } : {}),
      });
    } else if (item.rule) rules.push(readRule(item.rule as Json));
  }
  return { tables, chains, rules };
}

/** A rule's matches in nft's words, e.g. `tcp dport == 9090, iifname != docker_gwbridge`. */
export function matchWords(r: NftRule): string {
  return r.matches.map((m) => `${m.left} ${m.op} ${m.right}`).join(', ');
}

/** DNAT rules for `<proto> dport <port>` (IPv4 tables), where the published port's DNAT lives. */
export function dnatsForPort(rs: NftRuleset, proto: 'tcp' | 'udp', port: number): NftRule[] {
  return rs.rules.filter(
    (r) =>
      r.family === 'ip' &&
      r.nat?.kind === 'dnat' &&
      r.matches.some((m) => m.left === `${proto} dport` && m.op === '==' && m.right === String(port)),
  );
}
