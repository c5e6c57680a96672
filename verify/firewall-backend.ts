/**
 * verify models Docker's iptables rules (DOCKER-INGRESS, the nat PREROUTING DNAT, the mangle MARK in
 * ingress_sbox, REDIRECT in the tasks). A node whose dockerd runs the nftables backend (Docker 29,
 * lab dockerFirewallBackend nftables) programs its host-side rules as nft tables instead, which the
 * state checks do not read yet: judging it would blame a hop for rules that live elsewhere. So the
 * round stops after discovery with one line (exit 2, could not judge), having read each such node's
 * `nft list ruleset` (host and ingress_sbox) into the transcript for whoever models it next.
 */
import { EXIT, SwarmLabError } from '../lib/exit';
import { inNs } from './discover';
import type { Topology } from './model';
import { isNftablesBackend } from './parse/docker';
import { dnatsForPort, matchWords, parseNftJson } from './parse/nft';
import type { SshPool } from './ssh';

/** The round cannot judge these nodes' rules; the CLI keeps the transcript beside the message. */
export class BackendNotModelledError extends SwarmLabError {
  constructor(
    readonly nodes: readonly string[],
    readonly backend: string,
    /** What the first such node's host ruleset holds for the published port, in nft's words. */
    readonly seen?: string,
  ) {
    super(
      EXIT.inconclusive,
      `${nodes.join(', ')}: dockerd's firewall backend is ${backend} (docker info); verify models Docker's iptables rules only (DOCKER-INGRESS, nat PREROUTING, mangle MARK), so it cannot judge this lab's path yet${seen ? ` (nft on ${seen})` : ''}`,
      {
        subject: nodes.join(','),
        fix: "verify a lab with dockerFirewallBackend iptables; this lab's nft list ruleset (host and ingress_sbox) is in the report's transcript.json",
      },
    );
    this.name = 'BackendNotModelledError';
  }
}

/** Commands whose output the transcript keeps for a node on nftables (read best effort); the first is parsed. */
export function nftRulesetCommands(sboxNs: string): string[] {
  return ['nft -j list ruleset', 'nft list ruleset', inNs(sboxNs, 'nft list ruleset')];
}

/** The published port's DNAT in a host's `nft -j list ruleset`, in words (or that there is none). */
export function hostDnatWords(node: string, json: string, port: number): string {
  let rules;
  try {
    rules = dnatsForPort(parseNftJson(json), 'tcp', port);
  } catch (e) {
    return `${node}: ${(e as Error).message}`;
  }
  if (!rules.length) return `${node}: no DNAT for tcp dport ${port}`;
  const r = rules[0];
  return `${node}: ${r.family} ${r.table} ${r.chain}: ${matchWords(r)} dnat to ${r.nat?.addr}${r.nat?.port ? `:${r.nat.port}` : ''}`;
}

/** Throws `BackendNotModelledError` when a node runs nftables, after reading its rulesets. */
export async function refuseUnmodelledBackend(
  pool: SshPool,
  topology: Topology,
  log?: (node: string, step: string, detail: string) => void,
): Promise<void> {
  const nft = topology.nodes.filter((n) => isNftablesBackend(n.firewallBackend));
  if (!nft.length) return;
  const hostJson = await Promise.all(
    nft.map(async (n) => {
      const out: string[] = [];
      for (const cmd of nftRulesetCommands(n.ns.sbox)) {
        const r = await pool.exec(n.name, `PATH="$PATH:/usr/sbin:/sbin"; ${cmd}`, { check: false });
        log?.(n.name, 'firewall', `${cmd}: exit ${r.code}, ${r.stdout.split('\n').length} lines`);
        out.push(r.code === 0 ? r.stdout : '');
      }
      return out[0];
    }),
  );
  throw new BackendNotModelledError(
    nft.map((n) => n.name),
    nft[0].firewallBackend ?? 'nftables',
    hostJson[0] ? hostDnatWords(nft[0].name, hostJson[0], topology.service.publishedPort) : undefined,
  );
}
