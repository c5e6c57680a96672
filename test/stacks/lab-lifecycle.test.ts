/**
 * Lab states, the per-lab lock, clashes between labs and the commands' gates, as a user sees them:
 * one line, the exit code, and nothing changed on disk when a command is refused. libvirt is the
 * `test:///default` driver (in-process, no daemon, no network) or a probe with given domains.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../../lib/exit';
import { resolveLab, type Lab, type LabOverrides } from '../../stacks/lab';
import { acquireLabLock } from '../../stacks/lab-lock';
import { checkClash, register } from '../../stacks/lab-registry';
import { checkRemoteLibvirt } from '../../stacks/preflight';
import { labStatus, requireState, type LibvirtView } from '../../stacks/lab-state';
import { REPO_ROOT } from './helpers';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-life-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const labIn = (dir: string, o: LabOverrides = {}): Lab =>
  resolveLab({ context: { labDir: dir, libvirtUri: 'test:///default', ...o }, env: {} });
const DOMS = ['swarm-lab-centos7-10', 'swarm-lab-centos7-18', 'swarm-lab-centos7-22'];
const probe =
  (all: string[], running = all) =>
  () =>
    ({ all, running }) as LibvirtView;
const noLibvirt = () => undefined;

/** A tfstate with the network and these domains, as tofu writes it. */
function writeState(dir: string, domains: string[], network = true): void {
  fs.mkdirSync(dir, { recursive: true });
  const resources = [
    ...(network ? [{ type: 'libvirt_network', name: 'net', instances: [{ attributes: { name: 'swarm-lab' } }] }] : []),
    ...domains.map((d, i) => ({ type: 'libvirt_domain', name: `d${i}`, instances: [{ attributes: { name: d } }] })),
  ];
  fs.writeFileSync(path.join(dir, 'terraform.tfstate'), JSON.stringify({ version: 4, resources }));
}

function thrown(f: () => unknown): SwarmLabError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SwarmLabError);
    return e as SwarmLabError;
  }
  throw new Error('expected a SwarmLabError');
}

/** A listing of every file under dir (to prove a refused command changed nothing). */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

describe('lab states', () => {
  test('each state from disk and libvirt, with its detail', () => {
    const d = path.join(tmp, 'lab');
    const lab = labIn(d);
    expect(labStatus(lab, REPO_ROOT, probe([]))).toMatchObject({
      state: 'not synthesized',
      detail: `no ${d}/id_ed25519`,
    });
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'id_ed25519'), 'k', { mode: 0o600 });
    expect(labStatus(lab, REPO_ROOT, probe([]))).toMatchObject({
      state: 'synthesized',
      detail: `no resources in ${d}/terraform.tfstate`,
    });
    writeState(d, DOMS.slice(0, 1));
    expect(labStatus(lab, REPO_ROOT, probe(DOMS.slice(0, 1)))).toMatchObject({
      state: 'partly deployed',
      detail: 'domain swarm-lab-centos7-18, domain swarm-lab-centos7-22 not deployed',
    });
    expect(labStatus(lab, REPO_ROOT, probe(DOMS))).toMatchObject({
      state: 'partly deployed',
      detail: 'domain swarm-lab-centos7-18, swarm-lab-centos7-22 exists but is not in state',
    });
    writeState(d, DOMS);
    expect(labStatus(lab, REPO_ROOT, probe(DOMS, DOMS.slice(1)))).toMatchObject({
      state: 'deployed',
      detail: 'domain swarm-lab-centos7-10 is not running',
    });
    expect(labStatus(lab, REPO_ROOT, probe(DOMS.slice(1)))).toMatchObject({
      state: 'partly deployed',
      detail: 'domain swarm-lab-centos7-10 is in state but not in libvirt',
    });
    expect(labStatus(lab, REPO_ROOT, probe(DOMS))).toMatchObject({ state: 'running', detail: '3 domains running' });
    expect(labStatus(lab, REPO_ROOT, noLibvirt)).toMatchObject({ state: 'deployed' });
  });

  test('verify/provision: each wrong state is one line with what to run, exit 4', () => {
    const d = path.join(tmp, 'lab');
    const lab = labIn(d);
    const line = (p: () => LibvirtView | undefined) => {
      const e = thrown(() => requireState('verify', lab, REPO_ROOT, p));
      expect(e.exitCode).toBe(EXIT.state);
      return e.line();
    };
    expect(line(probe([]))).toBe(
      `lab swarm-lab is not synthesized (no ${d}/id_ed25519); fix: deploy it first: npm run lab`,
    );
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'id_ed25519'), 'k', { mode: 0o600 });
    expect(line(probe([]))).toBe(
      `lab swarm-lab is synthesized (no resources in ${d}/terraform.tfstate); fix: deploy it first: npm run lab`,
    );
    writeState(d, DOMS.slice(0, 2));
    expect(line(probe(DOMS.slice(0, 2)))).toBe(
      'lab swarm-lab is partly deployed (domain swarm-lab-centos7-22 not deployed); fix: npm run lab converges it, or npm run destroy removes it',
    );
    writeState(d, DOMS);
    expect(line(probe(DOMS, []))).toBe(
      'lab swarm-lab is deployed (domain swarm-lab-centos7-10, swarm-lab-centos7-18, swarm-lab-centos7-22 is not running); fix: start the domains (virsh -c test:///default start <domain>) or run npm run lab',
    );
    expect(requireState('provision', lab, REPO_ROOT, probe(DOMS)).state).toBe('running');
  });

  test('a state file that is not JSON is named, exit 4', () => {
    const d = path.join(tmp, 'lab');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'terraform.tfstate'), '{"version": 4, "resour');
    const e = thrown(() => labStatus(labIn(d), REPO_ROOT, probe([])));
    expect([e.exitCode, e.line()]).toEqual([
      EXIT.state,
      `${d}/terraform.tfstate is not a Terraform state (unreadable JSON); fix: move it aside and run npm run destroy, or restore it from ${d}/terraform.tfstate.backup`,
    ]);
  });
});

describe('the per-lab lock', () => {
  test('a second command gets one line naming the holder (pid, command), exit 4', () => {
    const d = path.join(tmp, 'lab');
    const held = acquireLabLock('swarm-lab', d, 'npm run lab');
    const e = thrown(() => acquireLabLock('swarm-lab', d, 'npm run destroy'));
    expect(e.exitCode).toBe(EXIT.state);
    expect(e.line()).toMatch(
      new RegExp(
        `^lab swarm-lab is busy: npm run lab \\(pid ${process.pid}\\) holds ${d}/lock since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; fix: wait for it to finish, or stop it \\(kill -INT ${process.pid}\\)$`,
      ),
    );
    held.release();
    acquireLabLock('swarm-lab', d, 'npm run destroy').release();
    expect(fs.existsSync(path.join(d, 'lock'))).toBe(false);
  });

  test('a lock left by a killed command is taken over and the interrupted command is named', async () => {
    const d = path.join(tmp, 'lab');
    // A real process takes the lock and is killed with SIGKILL (no cleanup).
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-e',
        `require('./stacks/lab-lock').acquireLabLock('swarm-lab', ${JSON.stringify(d)}, 'npm run lab'); console.log('held'); setInterval(() => {}, 1000);`,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(thrown(() => acquireLabLock('swarm-lab', d, 'npm run verify')).line()).toContain(
      `npm run lab (pid ${child.pid})`,
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const lock = acquireLabLock('swarm-lab', d, 'npm run lab');
    expect(lock.interrupted).toMatchObject({ pid: child.pid, command: 'npm run lab' });
    lock.release();
  });

  test('a reused pid is not mistaken for the holder (start time differs)', () => {
    const d = path.join(tmp, 'lab');
    fs.mkdirSync(d);
    fs.writeFileSync(
      path.join(d, 'lock'),
      JSON.stringify({ pid: process.pid, start: '1', command: 'npm run lab', since: '2026-01-01T00:00:00Z' }),
    );
    const lock = acquireLabLock('swarm-lab', d, 'npm run destroy');
    expect(lock.interrupted?.since).toBe('2026-01-01T00:00:00Z');
    lock.release();
  });
});

describe('labs that would clash on one libvirt host', () => {
  const reg = () => path.join(tmp, 'registry');
  function deployedOther(o: LabOverrides): Lab {
    const other = labIn(path.join(tmp, 'other'), o);
    writeState(path.join(tmp, 'other'), []);
    register(other, REPO_ROOT, reg());
    return other;
  }
  const clash = (lab: Lab) => thrown(() => checkClash(lab, REPO_ROOT, reg()));
  let mine = '';
  beforeEach(() => (mine = path.join(tmp, 'mine')));

  test('same name', () => {
    deployedOther({});
    const e = clash(labIn(mine));
    expect([e.exitCode, e.line()]).toEqual([
      EXIT.usage,
      `lab swarm-lab (${mine}) clashes with deployed lab swarm-lab (${tmp}/other) on test:///default: the same name swarm-lab (its libvirt objects swarm-lab-*); fix: change name/network in the lab file, or destroy swarm-lab first`,
    ]);
  });

  test('same libvirt network name', () => {
    deployedOther({ name: 'lab-a', network: { name: 'shared' } });
    expect(
      clash(
        labIn(mine, {
          name: 'lab-b',
          network: { name: 'shared', cidr: '10.9.0.0/24', gateway: '10.9.0.1', clientIp: '10.9.0.2' },
          nodes: [{ name: 'n1', ip: '10.9.0.10', role: 'manager' }],
        }),
      ).line(),
    ).toContain(': the same libvirt network shared;');
  });

  test('overlapping addresses', () => {
    deployedOther({ name: 'lab-a' });
    expect(clash(labIn(mine, { name: 'lab-b' })).line()).toBe(
      `lab lab-b (${mine}) clashes with deployed lab lab-a (${tmp}/other) on test:///default: overlapping addresses (10.211.55.0/24 and its 10.211.55.0/24); fix: change name/network in the lab file, or destroy lab-a first`,
    );
  });

  test('another libvirt host, or a lab with nothing deployed any more, does not clash', () => {
    deployedOther({ name: 'lab-a' });
    expect(() =>
      checkClash(labIn(mine, { name: 'lab-b', libvirtUri: 'qemu:///session' }), REPO_ROOT, reg()),
    ).not.toThrow();
    fs.rmSync(path.join(tmp, 'other', 'terraform.tfstate'));
    expect(() => checkClash(labIn(mine, { name: 'lab-b' }), REPO_ROOT, reg())).not.toThrow();
  });
});

describe('commands through their scripts', () => {
  const baseEnv = () =>
    Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SWARM_LAB_|CDKTF_)/.test(k)));
  const run = (cmd: string[], env: Record<string, string>) =>
    spawnSync(cmd[0], cmd.slice(1), {
      cwd: REPO_ROOT,
      env: {
        ...baseEnv(),
        SWARM_LAB_LIBVIRT_URI: 'test:///default',
        SWARM_LAB_REGISTRY: path.join(tmp, 'reg'),
        ...env,
      },
      encoding: 'utf8',
      timeout: 120_000,
    });

  test('destroy of a lab that does not exist: one line, exit 0, nothing created, no toolchain or KVM probe', () => {
    const d = path.join(tmp, 'nothing');
    const t0 = Date.now();
    const r = run(['bash', 'scripts/destroy.sh'], { SWARM_LAB_DIR: d });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `swarm-lab destroy: lab swarm-lab is not synthesized (no ${d}/id_ed25519); nothing to destroy\n`,
    );
    expect(r.status).toBe(0);
    expect(fs.existsSync(d)).toBe(false);
    expect(tree(path.join(tmp))).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  test('destroy of a lab another command holds: one line naming it, exit 4, state untouched', () => {
    const d = path.join(tmp, 'lab');
    writeState(d, DOMS);
    const lock = acquireLabLock('swarm-lab', d, 'npm run lab');
    try {
      const before = tree(d);
      const r = run(['bash', 'scripts/destroy.sh'], { SWARM_LAB_DIR: d });
      expect(r.status).toBe(4);
      expect(r.stderr.trim().split('\n').pop()).toMatch(
        new RegExp(
          `^swarm-lab destroy: lab swarm-lab is busy: npm run lab \\(pid ${process.pid}\\) holds ${d}/lock since `,
        ),
      );
      expect(tree(d)).toEqual(before);
    } finally {
      lock.release();
    }
  });

  test('deploy while another deploy is writing the state: busy, not "unreadable state" (seen on the real lab)', () => {
    // e2e/lifecycle.sh parallel on the bookworm lab: the second deploy read terraform.tfstate while
    // tofu rewrote it and said "not a Terraform state (unreadable JSON)", exit 4, with a wrong fix.
    const d = path.join(tmp, 'lab');
    writeState(d, DOMS);
    fs.writeFileSync(path.join(d, 'terraform.tfstate'), '{"version": 4, "resources": [');
    const lock = acquireLabLock('swarm-lab', d, 'npm run lab');
    try {
      const before = tree(d);
      for (const cmd of [
        ['bash', 'scripts/destroy.sh'],
        [process.execPath, '-r', 'ts-node/register/transpile-only', 'verify/cli.ts'],
      ]) {
        const r = run(cmd, { SWARM_LAB_DIR: d });
        expect(r.status).toBe(4);
        expect(r.stderr.trim().split('\n').pop()).toMatch(
          new RegExp(`lab swarm-lab is busy: npm run lab \\(pid ${process.pid}\\) holds ${d}/lock since `),
        );
      }
      expect(tree(d)).toEqual(before);
    } finally {
      lock.release();
    }
  });

  test('after a deploy killed mid-apply: its OpenTofu lock removed, the cut-short state restored from the backup', () => {
    // e2e/lifecycle.sh interrupt on the real bookworm lab: SIGKILL of the deploy's process group left
    // .terraform.tfstate.lock.info and an unreadable terraform.tfstate; deploy and destroy then refused.
    const d = path.join(tmp, 'lab');
    writeState(d, DOMS);
    fs.renameSync(path.join(d, 'terraform.tfstate'), path.join(d, 'terraform.tfstate.backup'));
    fs.writeFileSync(path.join(d, 'terraform.tfstate'), '');
    fs.writeFileSync(path.join(d, '.terraform.tfstate.lock.info'), '{"ID":"x","Operation":"OperationTypeApply"}');
    const dead = spawnSync('true');
    fs.writeFileSync(
      path.join(d, 'lock'),
      JSON.stringify({ pid: dead.pid, start: '', command: 'npm run lab', since: '2026-12-01T19:31:00Z' }),
    );
    const r = run(
      [process.execPath, '-r', 'ts-node/register/transpile-only', 'scripts/lab-run.ts', 'synth', '--', 'true'],
      { SWARM_LAB_DIR: d },
    );
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `swarm-lab synth: the previous npm run lab (pid ${dead.pid}, since 2026-12-01T19:31:00Z) was interrupted; converging from its state`,
      `swarm-lab synth: removed OpenTofu's state lock ${d}/.terraform.tfstate.lock.info, left by the interrupted run`,
      expect.stringMatching(
        new RegExp(
          `^swarm-lab synth: ${d}/terraform\\.tfstate was cut short by the interruption \\(moved to terraform\\.tfstate\\.broken-[0-9T-]+Z\\); restored terraform\\.tfstate\\.backup \\(4 resources\\)`,
        ),
      ),
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(d, 'terraform.tfstate'), 'utf8')).resources).toHaveLength(4);
    expect(fs.existsSync(path.join(d, '.terraform.tfstate.lock.info'))).toBe(false);
    expect(fs.existsSync(path.join(d, 'lock'))).toBe(false);
  });

  test('a destroy after a deploy killed with no usable state removes its network and volumes (libvirt test driver)', () => {
    // e2e/lifecycle.sh interrupt, second real run: the state was cut short with no backup; the
    // next deploy failed on "network ... already exists" and destroy left the network behind.
    const d = path.join(tmp, 'lab');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'id_ed25519'), 'k', { mode: 0o600 });
    fs.writeFileSync(path.join(d, 'terraform.tfstate'), '');
    const dead = spawnSync('true');
    fs.writeFileSync(
      path.join(d, 'lock'),
      JSON.stringify({ pid: dead.pid, start: '', command: 'npm run lab', since: '2026-12-01T20:05:14Z' }),
    );
    // libvirt's own test driver, started from this node file in every virsh call: what the
    // interrupted deploy had created (and one volume of another lab, which must stay).
    const node = path.join(tmp, 'node.xml');
    fs.writeFileSync(
      node,
      `<node>
  <network><name>swarm-lab</name><bridge name="swlt0"/><ip address="10.99.0.1" netmask="255.255.255.0"/></network>
  <pool type="dir"><name>default</name><target><path>/pool</path></target>
    <volume><name>swarm-lab-centos7-10.qcow2</name><capacity>1</capacity><target><path>/pool/a</path></target></volume>
    <volume><name>other-lab-node.qcow2</name><capacity>1</capacity><target><path>/pool/b</path></target></volume>
  </pool>
</node>`,
    );
    const r = run(
      [process.execPath, '-r', 'ts-node/register/transpile-only', 'scripts/lab-run.ts', 'destroy', '--', 'true'],
      { SWARM_LAB_DIR: d, SWARM_LAB_LIBVIRT_URI: `test://${node}` },
    );
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'swarm-lab destroy: removing network swarm-lab: created by an interrupted deploy, not in state',
        'swarm-lab destroy: removing volume swarm-lab-centos7-10.qcow2 (pool default): created by an interrupted deploy, not in state',
      ]),
    );
    expect(r.stderr).not.toContain('other-lab-node');
    expect(r.status).toBe(0);
  });

  test('verify of a lab that was never deployed: not deployed at once, exit 4, no report dir', () => {
    const d = path.join(tmp, 'lab');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'id_ed25519'), 'k', { mode: 0o600 });
    const t0 = Date.now();
    const r = run([process.execPath, '-r', 'ts-node/register/transpile-only', 'verify/cli.ts'], { SWARM_LAB_DIR: d });
    expect(r.stderr.trim()).toBe(
      `verify: lab swarm-lab is synthesized (no resources in ${d}/terraform.tfstate); fix: deploy it first: npm run lab`,
    );
    expect(r.status).toBe(4);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(tree(d)).toEqual(['id_ed25519']);
  });

  test('verify with a private key of mode 0644 is refused with the fix, exit 3', () => {
    const d = path.join(tmp, 'lab');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'id_ed25519'), 'k', { mode: 0o644 });
    fs.chmodSync(path.join(d, 'id_ed25519'), 0o644);
    const r = run([process.execPath, '-r', 'ts-node/register/transpile-only', 'verify/cli.ts'], {
      SWARM_LAB_DIR: d,
      SWARM_LAB_VERIFY_ANY_STATE: '1',
    });
    expect(r.stderr.trim()).toBe(
      `verify: lab config: labDir: private key ${d}/id_ed25519 has mode 0644; others can read it. fix: chmod 600 ${d}/id_ed25519`,
    );
    expect(r.status).toBe(3);
  });

  test('verify with a bad flag is exit 3 (was 2)', () => {
    const r = run([process.execPath, '-r', 'ts-node/register/transpile-only', 'verify/cli.ts', '--requests', '0'], {});
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(
      'verify: --requests needs an integer 1-1000, got "0"; fix: npm run verify -- --help lists the options\n',
    );
  });
});

describe('remote libvirt preflight (qemu+ssh), on disk only', () => {
  const remote = (uri: string) => resolveLab({ context: { libvirtUri: uri }, env: {} });
  const saved = process.env.SSH_AUTH_SOCK;
  beforeEach(() => delete process.env.SSH_AUTH_SOCK);
  afterEach(() => (saved === undefined ? delete process.env.SSH_AUTH_SOCK : (process.env.SSH_AUTH_SOCK = saved)));

  test('no key: one line with ssh-keygen/ssh-copy-id, exit 5', () => {
    const e = thrown(() => checkRemoteLibvirt(remote('qemu+ssh://lab@kvm-host/system'), tmp));
    expect([e.exitCode, e.line()]).toEqual([
      EXIT.env,
      `libvirtUri qemu+ssh://lab@kvm-host/system: no SSH key for lab@kvm-host (${tmp}/.ssh/id_ed25519, ${tmp}/.ssh/id_ecdsa, ${tmp}/.ssh/id_rsa; no ssh-agent); fix: ssh-keygen -t ed25519 && ssh-copy-id lab@kvm-host, or add ?keyfile=/path/to/key`,
    ]);
  });

  test('a keyfile that does not exist', () => {
    expect(
      thrown(() => checkRemoteLibvirt(remote('qemu+ssh://kvm-host/system?keyfile=/nonexistent/k'), tmp)).line(),
    ).toBe(
      'libvirtUri qemu+ssh://kvm-host/system?keyfile=/nonexistent/k: no SSH key for kvm-host (/nonexistent/k; no ssh-agent); fix: point keyfile= at an existing private key',
    );
  });

  test('host not in known_hosts (port kept), then found', () => {
    fs.mkdirSync(path.join(tmp, '.ssh'));
    fs.writeFileSync(path.join(tmp, '.ssh', 'id_ed25519'), 'k', { mode: 0o600 });
    const lab = remote('qemu+ssh://lab@kvm-host:2222/system');
    expect(thrown(() => checkRemoteLibvirt(lab, tmp)).line()).toBe(
      `libvirtUri qemu+ssh://lab@kvm-host:2222/system: [kvm-host]:2222 is not in ${tmp}/.ssh/known_hosts; fix: ssh -p 2222 lab@kvm-host true once and check the host key fingerprint, or add ?known_hosts=/path`,
    );
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'hostkey')]);
    const pub = fs.readFileSync(path.join(tmp, 'hostkey.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    fs.writeFileSync(path.join(tmp, '.ssh', 'known_hosts'), `[kvm-host]:2222 ${pub}\n`);
    expect(() => checkRemoteLibvirt(lab, tmp)).not.toThrow();
  });
});
