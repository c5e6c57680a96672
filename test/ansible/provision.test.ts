/**
 * scripts/provision.sh: resolves the lab's inventory like the stacks do, runs ansible-playbook
 * with ansible/ansible.cfg from any working directory, and explains what to do when the lab
 * has not been deployed. Only --syntax-check/--list-* runs: nothing connects to a host.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAB_CASES, REPO, writeLabInventory } from './ansible-run';

const SCRIPT = path.join(REPO, 'scripts', 'provision.sh');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-provision-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Run the script from `cwd` with a clean lab environment plus `env`. */
function provision(args: string[], env: Record<string, string>, cwd = tmp): { status: number | null; out: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SWARM_LAB_|ANSIBLE_)/.test(k)));
  const r = spawnSync('bash', [SCRIPT, ...args], { cwd, encoding: 'utf8', env: { ...base, ...env }, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test('without a deployed lab it says where it looked and what to run', () => {
  const r = provision(['--syntax-check'], { SWARM_LAB_DIR: path.join(tmp, 'nothing-here') });
  expect(r.status).toBe(4);
  expect(r.out).toContain(`no inventory at ${path.join(tmp, 'nothing-here', 'inventory.yml')}`);
  expect(r.out).toMatch(/deploy the lab first/);
});

test('a bad lab setting is reported, not papered over', () => {
  const r = provision(['--syntax-check'], { SWARM_LAB_IMAGE: 'no-such-image' });
  expect(r.status).toBe(3);
  expect(r.out).toMatch(/unknown image "no-such-image"/);
});

test('finds the lab inventory through SWARM_LAB_DIR and runs site.yml with ansible/ansible.cfg from any directory', () => {
  const w = writeLabInventory(LAB_CASES[1], fs.mkdtempSync(path.join(tmp, 'lab-')));
  const labDir = path.dirname(w.inventory);
  const r = provision(['--list-tasks'], { SWARM_LAB_DIR: labDir, SWARM_LAB_IMAGE: 'debian12-docker20' });
  expect(r.out).toContain(
    `provision: ansible-playbook -i ${w.inventory} ${path.join(REPO, 'ansible', 'site.yml')} --list-tasks`,
  );
  expect(r.status).toBe(0);
  // Roles resolve through ansible.cfg's roles_path although the cwd is elsewhere.
  expect(r.out).toMatch(/swarm : Initialise the swarm on the first manager/);
  expect(r.out).toMatch(/service : Check the published port answers on every node/);
});

test('a real run against a lab that was never deployed is refused in one line naming the state, exit 4', () => {
  const dir = path.join(tmp, 'never-deployed');
  const r = provision([], { SWARM_LAB_DIR: dir, SWARM_LAB_LIBVIRT_URI: 'test:///default' });
  expect(r.status).toBe(4);
  expect(r.out.trim().split('\n').pop()).toBe(
    `swarm-lab provision: lab swarm-lab is not synthesized (no ${dir}/id_ed25519); fix: deploy it first: npm run lab`,
  );
  expect(fs.existsSync(dir)).toBe(false);
});

test('SWARM_LAB_INVENTORY names an inventory directly; extra args reach ansible-playbook', () => {
  const w = writeLabInventory(LAB_CASES[0], fs.mkdtempSync(path.join(tmp, 'lab-')));
  const r = provision(['--list-hosts', '--limit', 'workers'], { SWARM_LAB_INVENTORY: w.inventory });
  expect(r.status).toBe(0);
  expect(r.out).toMatch(/hosts \(2\):\s+centos7-(18|22)\s+centos7-(18|22)/);
  expect(r.out).not.toMatch(/^\s+centos7-10$/m);
});

test('the settings the playbook relies on come from ansible/ansible.cfg', () => {
  const r = spawnSync('ansible-config', ['dump', '--only-changed', '-t', 'all'], {
    encoding: 'utf8',
    cwd: tmp,
    env: { ...process.env, ANSIBLE_CONFIG: path.join(REPO, 'ansible', 'ansible.cfg') },
  });
  expect(r.status).toBe(0);
  const ssh = r.stdout.slice(r.stdout.search(/^ssh:$/m));
  expect(ssh).toMatch(/^pipelining\(.*\) = True$/m);
  expect(ssh).toMatch(/^host_key_checking\(.*\) = True$/m);
  expect(r.stdout).toMatch(/^HOST_KEY_CHECKING\(.*\) = True$/m);
  expect(r.stdout).toMatch(/^CALLBACKS_ENABLED\(.*\) = \['ansible\.posix\.profile_tasks'\]$/m);
  expect(r.stdout).toMatch(/^INTERPRETER_PYTHON\(.*\) = auto_silent$/m);
});
