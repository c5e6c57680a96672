/**
 * The playbook parses against the inventories the stacks generate, plays target the right
 * hosts, and Ansible reads the inventory with the types and groups the playbook expects.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ansible, expectOk, LAB_CASES, SITE, writeLabInventory } from './ansible-run';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-ansible-syntax-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each(LAB_CASES)('site.yml with the $label', (c) => {
  let inv: ReturnType<typeof writeLabInventory>;
  beforeAll(() => {
    inv = writeLabInventory(c, fs.mkdtempSync(path.join(tmp, 'lab-')));
  });

  test('passes ansible-playbook --syntax-check', () => {
    expectOk(
      ansible(['ansible-playbook', '-i', inv.inventory, SITE, '--syntax-check']),
      'ansible-playbook --syntax-check',
    );
  });

  test('every play runs on every node of the lab', () => {
    const r = ansible(['ansible-playbook', '-i', inv.inventory, SITE, '--list-hosts']);
    expectOk(r, 'ansible-playbook --list-hosts');
    const plays = r.stdout.split(/\n\s*play #\d+/).slice(1);
    expect(plays).toHaveLength(3);
    for (const play of plays) {
      const hosts = play
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => inv.lab.nodes.some((n) => n.name === l));
      expect(hosts.sort()).toEqual(inv.lab.nodes.map((n) => n.name).sort());
    }
  });

  test('ansible-inventory reads groups, the first manager and typed lab values', () => {
    const r = ansible(['ansible-inventory', '-i', inv.inventory, '--list']);
    expectOk(r, 'ansible-inventory --list');
    const data = JSON.parse(r.stdout);
    const managers = inv.lab.nodes.filter((n) => n.role === 'manager').map((n) => n.name);
    const workers = inv.lab.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
    expect(data.swarm.children.sort()).toEqual(['managers', 'workers']);
    // Order matters: the first host of `managers` initialises the swarm.
    expect(data.managers.hosts).toEqual(managers);
    expect(data.workers?.hosts ?? []).toEqual(workers);
    for (const n of inv.lab.nodes) {
      const hv = data._meta.hostvars[n.name];
      expect(hv).toMatchObject({ ansible_host: n.ip, node_ip: n.ip, swarm_role: n.role });
      // PyYAML reads YAML 1.1: `off` unquoted would arrive as false.
      expect(hv.firewall_mode).toBe(inv.lab.firewall);
      expect(hv.data_path_port).toBe(inv.lab.dataPathPort);
      expect(hv.service_replicas).toBe(inv.lab.service.replicas);
      expect(hv.docker_version).toBe(inv.lab.dockerVersion);
      expect(typeof hv.docker_version).toBe('string');
    }
  });
});
