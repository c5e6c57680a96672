/**
 * The link between stacks/inventory.ts and ansible/: every variable the playbook looks up is
 * either its own (role default, play/task var, registered, set_fact, loop var, Ansible magic) or
 * comes from the generated inventory; every lab value the inventory carries is consumed; and the
 * role defaults derived from inventory values evaluate, with Ansible itself, to what the lab means.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import { ANSIBLE_DIR, ansible, expectOk, LAB_CASES, SITE, writeLabInventory, type WrittenLab } from './ansible-run';

interface PlaybookVars {
  referenced: Record<string, string[]>;
  defaults: string[];
  playVars: string[];
  taskVars: string[];
  registered: string[];
  setFact: string[];
  loopVars: string[];
}

/** Names Ansible or Jinja provide. */
const MAGIC = new Set([
  'ansible_facts',
  'ansible_failed_result',
  'ansible_managed',
  'ansible_playbook_python',
  'groups',
  'hostvars',
  'inventory_hostname',
  'item',
  'omit',
  'role_path',
  'range',
  'dict',
  'lookup',
  'query',
  'q',
]);
/** Connection settings the inventory carries for Ansible itself, not for the roles. */
const CONNECTION = /^ansible_/;

/** Python with Jinja and PyYAML: the interpreter ansible-playbook runs on. */
function ansiblePython(): string {
  const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).stdout.trim();
  const shebang = fs.readFileSync(which, 'utf8').split('\n')[0];
  return shebang.replace(/^#!\s*/, '').split(/\s+/)[0];
}

function playbookVars(): PlaybookVars {
  const r = spawnSync(ansiblePython(), [path.join(__dirname, 'playbook-vars.py'), ANSIBLE_DIR], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`playbook-vars.py exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function inventoryVars(w: WrittenLab): Set<string> {
  const names = new Set(Object.keys(w.doc.all.vars));
  const swarm = (w.doc.all.children as { swarm: { children: Record<string, { hosts?: Record<string, object> }> } })
    .swarm;
  for (const group of Object.values(swarm.children)) {
    for (const host of Object.values(group.hosts ?? {})) Object.keys(host).forEach((k) => names.add(k));
  }
  return names;
}

let tmp: string;
let pv: PlaybookVars;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-ansible-link-'));
  pv = playbookVars();
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the analysis sees the playbook (sanity: known names on both sides)', () => {
  expect(Object.keys(pv.referenced)).toEqual(
    expect.arrayContaining(['node_ip', 'service_name', 'docker_version', 'lab_nic']),
  );
  expect(pv.defaults).toContain('service_web_root');
  expect(pv.registered).toContain('swarm_after');
  expect(pv.setFact).toContain('docker_python');
});

describe.each(LAB_CASES)('inventory of the $label', (c) => {
  let w: WrittenLab;
  let inv: Set<string>;
  beforeAll(() => {
    w = writeLabInventory(c, fs.mkdtempSync(path.join(tmp, 'lab-')));
    inv = inventoryVars(w);
  });

  test('defines every variable the playbook references and does not define itself', () => {
    const own = new Set([
      ...pv.defaults,
      ...pv.playVars,
      ...pv.taskVars,
      ...pv.registered,
      ...pv.setFact,
      ...pv.loopVars,
      ...MAGIC,
    ]);
    const missing = Object.entries(pv.referenced)
      .filter(([name]) => !own.has(name) && !inv.has(name))
      .map(([name, files]) => `${name} (used in ${files.join(', ')})`);
    expect(missing).toEqual([]);
  });

  test('carries no lab value the playbook ignores', () => {
    const unused = [...inv].filter((name) => !CONNECTION.test(name) && !(name in pv.referenced));
    expect(unused).toEqual([]);
  });

  test('is not shadowed: no role default, play or task var reuses an inventory name', () => {
    // Play and task vars outrank inventory vars: one of those would silently ignore the lab's value.
    const clash = [...pv.defaults, ...pv.playVars, ...pv.taskVars, ...pv.setFact].filter((n) => inv.has(n));
    expect(clash).toEqual([]);
  });

  test('role defaults evaluate with Ansible to what the lab means', () => {
    // The plays' own vars, read from site.yml, plus every role default.
    const playVars =
      (YAML.parse(fs.readFileSync(SITE, 'utf8')) as Array<{ vars?: Record<string, string> }>)[0].vars ?? {};
    const names = [...pv.defaults, ...Object.keys(playVars)];
    const dir = fs.mkdtempSync(path.join(tmp, 'eval-'));
    const play = [
      {
        name: 'Evaluate role defaults against the generated inventory (local debug only, no connection)',
        hosts: 'swarm',
        gather_facts: false,
        connection: 'local',
        vars: playVars,
        vars_files: ['base', 'docker', 'swarm', 'service'].map((r) =>
          path.join(ANSIBLE_DIR, 'roles', r, 'defaults', 'main.yml'),
        ),
        tasks: [
          {
            name: 'values',
            'ansible.builtin.debug': { msg: `{{ { ${names.map((n) => `'${n}': ${n}`).join(', ')} } }}` },
          },
        ],
      },
    ];
    const playbook = path.join(dir, 'eval.yml');
    fs.writeFileSync(playbook, JSON.stringify(play));
    const r = ansible(['ansible-playbook', '-i', w.inventory, playbook, '-e', 'ansible_connection=local'], {
      ANSIBLE_STDOUT_CALLBACK: 'json',
      ANSIBLE_CALLBACKS_ENABLED: '',
    });
    expectOk(r, 'ansible-playbook eval.yml');
    const hosts = JSON.parse(r.stdout).plays[0].tasks[0].hosts as Record<string, { msg: Record<string, unknown> }>;
    const lab = w.lab;
    const first = lab.nodes.find((n) => n.role === 'manager')!.name;
    const local = lab.service.image.startsWith('local:');
    for (const node of lab.nodes) {
      const v = hosts[node.name].msg;
      expect(v).toMatchObject({
        swarm_first_manager: first,
        service_image_is_local: local,
        service_image_ref: lab.service.image.replace(/^local:/, ''),
        docker_prefer_offline_image: local,
        swarm_port_is_default: lab.dataPathPort === 4789,
        service_one_per_node: lab.service.replicas <= lab.nodes.length,
        service_html_dir: `/srv/${lab.name}/html`,
      });
      // A number, or its string form (the playbook applies `| int` wherever it counts).
      expect(Number(v.service_expected_nodes)).toBe(Math.min(lab.service.replicas, lab.nodes.length));
      expect(Number(v.service_spread_requests)).toBe(2 * Math.min(lab.service.replicas, lab.nodes.length));
    }
  });
});
