/**
 * Which tools verify needs on a node, the packages that provide them, and a parser for the
 * probe's output. Missing tools become one clear error naming node and package.
 */

export interface ToolSpec {
  readonly debian: string;
  readonly centos: string;
  /** What verify does without it, if anything. */
  readonly fallback?: string;
}

export const NODE_TOOLS: Readonly<Record<string, ToolSpec>> = {
  docker: { debian: 'docker.io', centos: 'docker-ce' },
  nsenter: { debian: 'util-linux', centos: 'util-linux' },
  tcpdump: { debian: 'tcpdump', centos: 'tcpdump' },
  ip: { debian: 'iproute2', centos: 'iproute' },
  bridge: { debian: 'iproute2', centos: 'iproute' },
  'iptables-save': { debian: 'iptables', centos: 'iptables' },
  ipvsadm: { debian: 'ipvsadm', centos: 'ipvsadm', fallback: 'reads /proc/net/ip_vs inside ingress_sbox instead' },
  timeout: { debian: 'coreutils', centos: 'coreutils' },
};

/** Shell probe printing `<tool> <path or ->` per tool (PATH widened: sudo and root shells differ). */
export function toolProbeCommand(tools: readonly string[] = Object.keys(NODE_TOOLS)): string {
  return `PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"; for t in ${tools.join(' ')}; do p=$(command -v "$t" 2>/dev/null) || p=-; echo "$t $p"; done`;
}

export function parseToolProbe(text: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const line of text.split('\n')) {
    const [t, p] = line.trim().split(/\s+/);
    if (t) out[t] = p && p !== '-' ? p : undefined;
  }
  return out;
}

export class MissingToolError extends Error {
  constructor(
    readonly node: string,
    readonly tools: string[],
  ) {
    super(
      `${node}: missing ${tools.join(', ')}; install on the node: ` +
        `Debian \`apt-get install -y ${[...new Set(tools.map((t) => NODE_TOOLS[t]?.debian ?? t))].join(' ')}\`, ` +
        `CentOS \`yum install -y ${[...new Set(tools.map((t) => NODE_TOOLS[t]?.centos ?? t))].join(' ')}\``,
    );
    this.name = 'MissingToolError';
  }
}

/** Tools from the probe that are missing and have no fallback. */
export function requiredMissing(found: Record<string, string | undefined>, required: readonly string[]): string[] {
  return required.filter((t) => !found[t] && !NODE_TOOLS[t]?.fallback);
}
