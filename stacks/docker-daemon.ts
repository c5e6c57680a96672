/**
 * dockerd's daemon.json for a lab, from the lab model: the Ansible docker role writes exactly this
 * (inventory var `docker_daemon_json`). Empty for Docker's defaults, so a lab that sets nothing
 * gets no daemon.json at all: older engines refuse keys they do not know (20.10 exits on
 * `firewall-backend`), and the CentOS path keeps the file it always had (none).
 */
import { compareVersions, FLAVOURS } from '../e2e/images/flavours';
import type { Lab } from './lab-schema';

/**
 * The first release whose daemon lets an nftables daemon join a Swarm: `features.swarm-nftables`
 * (moby commit 280a23a32d, shared/docs/docker-versions.md). 29.0-29.5 have `firewall-backend:
 * nftables` but refuse Swarm with it (`--firewall-backend=nftables is incompatible with swarm mode`,
 * daemon/config/config_linux.go IsSwarmCompatible, read in the 29.8.0 source).
 */
export const NFTABLES_SWARM_SINCE = '29.6.0';

/** The feature flag that lets Swarm start on an nftables daemon (29.8.0: `conf.Features["swarm-nftables"]`). */
export const SWARM_NFTABLES_FEATURE = 'swarm-nftables';

export interface DaemonConfig {
  readonly 'firewall-backend'?: 'nftables';
  readonly features?: Readonly<Record<string, boolean>>;
}

/** What daemon.json holds for this lab; `{}` means "write none". */
export function dockerDaemonConfig(lab: Pick<Lab, 'dockerFirewallBackend'>): DaemonConfig {
  if (lab.dockerFirewallBackend !== 'nftables') return {};
  return { 'firewall-backend': 'nftables', features: { [SWARM_NFTABLES_FEATURE]: true } };
}

/** daemon.json text (2-space JSON and a newline, as the role writes it), or '' for none. */
export function renderDaemonJson(cfg: DaemonConfig): string {
  return Object.keys(cfg).length ? JSON.stringify(cfg, null, 2) + '\n' : '';
}

/** Does this Docker version let an nftables daemon form the lab's Swarm? */
export function supportsNftablesSwarm(dockerVersion: string): boolean {
  return compareVersions(dockerVersion, NFTABLES_SWARM_SINCE) >= 0;
}

/** Offline flavours whose engine can run the lab on nftables (the fix a refused lab names). */
export function nftablesFlavours(): string[] {
  return FLAVOURS.filter((f) => supportsNftablesSwarm(f.dockerVersion)).map(
    (f) => `${f.name} (Docker ${f.dockerVersion})`,
  );
}
