/**
 * The daemon.json the lab model renders for dockerd (stacks/docker-daemon.ts) and that the docker role
 * writes byte for byte (inventory var docker_daemon_json): nothing for Docker's defaults, the
 * nftables backend with the Swarm feature the 29.8.0 source checks (`conf.Features["swarm-nftables"]`).
 */
import { inventoryDoc } from '../../stacks/inventory';
import {
  dockerDaemonConfig,
  nftablesFlavours,
  renderDaemonJson,
  supportsNftablesSwarm,
} from '../../stacks/docker-daemon';
import { labPaths, resolveLab } from '../../stacks/lab';

test('iptables (the default) writes no daemon.json at all', () => {
  const lab = resolveLab({ env: {}, context: { image: 'debian12-docker29' } });
  expect(dockerDaemonConfig(lab)).toEqual({});
  expect(renderDaemonJson(dockerDaemonConfig(lab))).toBe('');
});

test('nftables renders firewall-backend and features.swarm-nftables, exactly', () => {
  const lab = resolveLab({ env: {}, context: { image: 'debian12-docker29', dockerFirewallBackend: 'nftables' } });
  expect(renderDaemonJson(dockerDaemonConfig(lab))).toBe(
    '{\n  "firewall-backend": "nftables",\n  "features": {\n    "swarm-nftables": true\n  }\n}\n',
  );
});

test('the inventory hands the role the backend and the rendered file (empty for the CentOS lab)', () => {
  const nft = resolveLab({ env: {}, context: { image: 'debian12-docker29', dockerFirewallBackend: 'nftables' } });
  const v = inventoryDoc(nft, labPaths(nft)).all.vars;
  expect(v.docker_firewall_backend).toBe('nftables');
  expect(JSON.parse(String(v.docker_daemon_json))).toEqual({
    'firewall-backend': 'nftables',
    features: { 'swarm-nftables': true },
  });
  const centos = resolveLab({ env: {}, context: {} });
  const c = inventoryDoc(centos, labPaths(centos)).all.vars;
  expect([c.docker_firewall_backend, c.docker_daemon_json]).toEqual(['iptables', '']);
});

test('the Swarm feature exists from 29.6.0; only the 29.x flavour qualifies', () => {
  expect(['29.5.9', '29.6.0', '29.8.0', '30.0.0'].map(supportsNftablesSwarm)).toEqual([false, true, true, true]);
  expect(nftablesFlavours()).toEqual(['debian12-docker29 (Docker 29.8.0)']);
});
