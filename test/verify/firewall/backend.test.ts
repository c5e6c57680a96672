/**
 * Docker's firewall backend in verify: read from `docker info` (the 29.x field; older CLIs fail the
 * template and report nothing), and a node on nftables stops the round after discovery with the one
 * "could not judge" line (exit 2) instead of a wrong hop, having read its nft rulesets for the transcript.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT } from '../../../lib/exit';
import { errorLine, readRoundFile } from '../../../verify/cli';
import { BackendNotModelledError, refuseUnmodelledBackend } from '../../../verify/firewall-backend';
import type { Topology } from '../../../verify/model';
import { isNftablesBackend, parseDockerInfo } from '../../../verify/parse/docker';
import { RoundStepError } from '../../../verify/round';
import type { ExecResult, SshPool } from '../../../verify/ssh';

// A real round (Docker 26.1.5 on trixie, iptables): its topology, with the backend a 29.x node reports.
const round = readRoundFile(path.resolve(__dirname, '../../fixtures/lab/debian13-docker26/round.json'));
const withBackend = (driver: string | undefined, names: readonly string[]): Topology => ({
  ...round.topology,
  nodes: round.topology.nodes.map((n) => (names.includes(n.name) && driver ? { ...n, firewallBackend: driver } : n)),
});

// node-10 of the first real nftables lab (debian12-docker29, Docker 29.8.0), swarm formed, no service yet.
const FX = path.resolve(__dirname, '../../fixtures/nftables');
const realJson = fs.readFileSync(path.join(FX, 'd12k29-node-10-no-service-nft.json'), 'utf8');
const realText = fs.readFileSync(path.join(FX, 'd12k29-node-10-no-service-nft.txt'), 'utf8');

function fakePool(): { pool: SshPool; ran: string[] } {
  const ran: string[] = [];
  const pool = {
    nodes: round.topology.nodes.map((n) => n.name),
    user: 'root',
    exec(node: string, command: string): Promise<ExecResult> {
      ran.push(`${node}: ${command}`);
      return Promise.resolve({ stdout: command.includes('nft -j') ? realJson : realText, stderr: '', code: 0 });
    },
  };
  return { pool: pool as unknown as SshPool, ran };
}

describe('docker info FirewallBackend (from the one `docker info --format {{json .}}`)', () => {
  const info = (extra: Record<string, unknown>): string =>
    JSON.stringify({ ServerVersion: '29.8.0', Swarm: { LocalNodeState: 'active', ControlAvailable: false }, ...extra });
  const backend = (stdout: string, code = 0): string | undefined => {
    const r = parseDockerInfo({ code, stdout, stderr: '' });
    return 'error' in r ? `error: ${r.error}` : r.firewallBackend;
  };
  test('29.x reports the driver; a CLI without the field or a daemon without a value reports none', () => {
    // The value node-10 of the real debian12-docker29 lab answered to {{json .FirewallBackend}}.
    const fw = { Driver: 'nftables', Info: [['EnableUserlandProxy', 'true']] };
    expect(backend(info({ FirewallBackend: fw }))).toBe('nftables');
    expect(backend(info({ FirewallBackend: { Driver: 'iptables+firewalld' } }))).toBe('iptables+firewalld');
    expect(backend(info({ FirewallBackend: null }))).toBeUndefined();
    expect(backend(info({}))).toBeUndefined(); // CLI older than the field: it is not in its JSON
    expect(
      [undefined, 'iptables', 'iptables+firewalld', 'nftables', 'nftables+firewalld'].map(isNftablesBackend),
    ).toEqual([false, false, false, true, true]);
  });
});

describe('a lab whose dockerd runs nftables', () => {
  test('iptables nodes (and engines that report no backend) go on to the snapshot', async () => {
    for (const driver of [undefined, 'iptables']) {
      const { pool, ran } = fakePool();
      await expect(refuseUnmodelledBackend(pool, withBackend(driver, pool.nodes))).resolves.toBeUndefined();
      expect(ran).toEqual([]);
    }
  });

  test('is not judged: one line naming the nodes and what verify models, exit 2, rulesets read first', async () => {
    const { pool, ran } = fakePool();
    const [n1, n2] = round.topology.nodes;
    const err = await refuseUnmodelledBackend(pool, withBackend('nftables', [n1.name, n2.name])).catch((e) => e);
    expect(err).toBeInstanceOf(BackendNotModelledError);
    expect(err.exitCode).toBe(EXIT.inconclusive);
    expect(errorLine(new RoundStepError('firewall', err))).toBe(
      `verify: INCONCLUSIVE: ${n1.name}, ${n2.name}: dockerd's firewall backend is nftables (docker info); verify models Docker's iptables rules only (DOCKER-INGRESS, nat PREROUTING, mangle MARK), so it cannot judge this lab's path yet (nft on ${n1.name}: no DNAT for tcp dport 9090); fix: verify a lab with dockerFirewallBackend iptables; this lab's nft list ruleset (host and ingress_sbox) is in the report's transcript.json`,
    );
    expect(ran.sort()).toEqual(
      [n1, n2]
        .flatMap((n) => [
          `${n.name}: PATH="$PATH:/usr/sbin:/sbin"; nft -j list ruleset`,
          `${n.name}: PATH="$PATH:/usr/sbin:/sbin"; nft list ruleset`,
          `${n.name}: PATH="$PATH:/usr/sbin:/sbin"; nsenter --net=${n.ns.sbox} nft list ruleset`,
        ])
        .sort(),
    );
  });
});
