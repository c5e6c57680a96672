/**
 * The offline lab as a lab file: the seed's address plan, roles and service on a Debian image built
 * by e2e/images (Docker baked in), sized for TCG guests. The e2e runner and `npm run lab`'s embedded
 * fallback both deploy it; only the name (and so the netns, libvirtd and state) differs.
 */
import { DEFAULT_LAB } from '../stacks/lab';

export function offlineLabFile(
  name: string,
  flavour: string,
  paths?: readonly string[],
  dockerFirewallBackend?: string,
): Record<string, unknown> {
  return {
    name,
    ...(paths?.length ? { paths } : {}),
    // Only when asked: the lab file then says so, and the schema judges the value against the flavour.
    ...(dockerFirewallBackend ? { dockerFirewallBackend } : {}),
    image: flavour,
    domainType: 'auto',
    // The seed's address plan and roles; the hosts are Debian, so not named centos7-*.
    nodes: DEFAULT_LAB.nodes.map((n) => ({ ...n, name: `node-${n.ip.split('.')[3]}` })),
    // TCG guests: ~1.9 GiB host RSS at 2 GiB; 1.5 GiB leaves room for three on 24 GiB with tests around.
    memoryMiB: 1536,
    diskGiB: 8,
    service: { image: 'local:swarm-lab-web:1' },
  };
}
