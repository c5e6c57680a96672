/**
 * Version-specific expectations, chosen from the discovered engine version. The engine reads
 * these instead of hard-coding Docker's rule layout. Values that are counters (the fwmark) are
 * never here: they are read from the node's own state.
 */

export interface EngineProfile {
  readonly name: string;
  readonly description: string;
  /** nat chain holding the published-port DNAT, reached from PREROUTING for dst-type LOCAL. */
  readonly natIngressChain: string;
  /** Chain path from filter FORWARD to the chain accepting the published port. */
  readonly filterForwardPath: readonly string[];
  /** Where the fwmark is set in ingress_sbox (mangle). */
  readonly markChain: string;
  /** Task namespaces REDIRECT the published port to the target port. */
  readonly taskRedirect: boolean;
}

const PROFILES: ReadonlyArray<EngineProfile & { readonly from: number; readonly to: number }> = [
  {
    name: 'docker-legacy-forward',
    description:
      'Docker < 28: filter FORWARD jumps to DOCKER-INGRESS right after DOCKER-USER (seed: 24.0.7; measured 20.10.5, 20.10.24, 25.0.5, 26.1.5, 27.5.1)',
    from: 0,
    to: 28,
    natIngressChain: 'DOCKER-INGRESS',
    filterForwardPath: ['FORWARD', 'DOCKER-INGRESS'],
    markChain: 'PREROUTING',
    taskRedirect: true,
  },
  {
    name: 'docker-forward-chain',
    description:
      'Docker >= 28: filter FORWARD -> DOCKER-FORWARD, whose first rule jumps to DOCKER-INGRESS (moby iptablesdoc swarm-portmap)',
    from: 28,
    to: 29,
    natIngressChain: 'DOCKER-INGRESS',
    filterForwardPath: ['FORWARD', 'DOCKER-FORWARD', 'DOCKER-INGRESS'],
    markChain: 'PREROUTING',
    taskRedirect: true,
  },
  {
    name: 'docker-gwbridge-portmap',
    description:
      'Docker >= 29: no DOCKER-INGRESS chain; the published port is a docker_gwbridge port mapping: nat PREROUTING -> DOCKER DNATs it to ingress_sbox, filter FORWARD -> DOCKER-FORWARD -> DOCKER-BRIDGE -> DOCKER accepts it, raw PREROUTING drops the sandbox address from elsewhere (measured 29.8.0)',
    from: 29,
    to: Infinity,
    natIngressChain: 'DOCKER',
    filterForwardPath: ['FORWARD', 'DOCKER-FORWARD', 'DOCKER-BRIDGE', 'DOCKER'],
    markChain: 'PREROUTING',
    taskRedirect: true,
  },
];

/** Profile for an engine version like `20.10.24` or `28.5.2+dfsg1`; unknown versions get the newest. */
export function profileFor(version: string): EngineProfile {
  const major = Number(/^(\d+)\./.exec(version.trim())?.[1]);
  const p = Number.isFinite(major) ? PROFILES.find((x) => major >= x.from && major < x.to) : undefined;
  const chosen = p ?? PROFILES[PROFILES.length - 1];
  const { from: _f, to: _t, ...profile } = chosen;
  return profile;
}
