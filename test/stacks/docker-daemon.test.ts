/**
 * The daemon.json the lab model renders for dockerd (stacks/docker-daemon.ts) and that the docker role
 * writes byte for byte (inventory var docker_daemon_json): nothing for Docker's defaults, the
 * nftables backend with the Swarm feature the 29.8.0 source checks (`conf.Features["swarm-nftables"]`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ANSIBLE_DIR, ansible, expectOk, writeLabInventory } from '../ansible/ansible-run';
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

test('the docker role writes exactly that file from the generated inventory (Ansible templates it here, locally)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-daemon-json-'));
  try {
    const w = writeLabInventory(
      { label: 'nftables', overrides: { image: 'debian12-docker29', dockerFirewallBackend: 'nftables' } },
      tmp,
    );
    const dest = path.join(tmp, 'daemon.json');
    const tpl = path.join(ANSIBLE_DIR, 'roles', 'docker', 'templates', 'daemon.json.j2');
    const r = ansible(
      [
        'ansible',
        w.lab.nodes[0].name,
        '-i',
        w.inventory,
        '-c',
        'local',
        '-m',
        'ansible.builtin.template',
        '-a',
        `src=${tpl} dest=${dest}`,
      ],
      {
        ANSIBLE_BECOME: 'false',
      },
    );
    expectOk(r, 'ansible template of daemon.json.j2');
    expect(r.stdout).toMatch(/CHANGED/);
    expect(fs.readFileSync(dest, 'utf8')).toBe(renderDaemonJson(dockerDaemonConfig(w.lab)));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
