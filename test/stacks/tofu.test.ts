/**
 * The synthesized stack against the real toolchain: `tofu validate` with the locally built
 * libvirt provider, then `tofu plan` against a real libvirtd that this test starts inside its
 * own network namespace (e2e/host/up.sh), plus a targeted apply/destroy of the network and
 * the seed volumes to prove libvirt accepts what we generate. No lab address is touched from
 * the root namespace: the bridge lives in the test's namespace and is checked to be absent here.
 */
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from '../../stacks/cdk';
import { resolveLab, type Lab } from '../../stacks/lab';
import { LabStack } from '../../stacks/lab-stack';
import { REPO_ROOT } from './helpers';

const TC = path.join(REPO_ROOT, '.toolchain');
const TOFU = path.join(TC, 'bin', 'tofu');
const tag = `stk${process.pid}`;
const NS = `swl-${tag}`;
const HOST_DIR = `/tmp/swl-${tag}`;

const tfEnv: NodeJS.ProcessEnv = {
  ...process.env,
  TF_CLI_CONFIG_FILE: path.join(TC, 'tofurc'),
  CHECKPOINT_DISABLE: '1',
  TF_IN_AUTOMATION: '1',
  TF_INPUT: '0',
};
const hostEnv: NodeJS.ProcessEnv = { ...process.env, SWARM_LAB_NETNS: NS, SWARM_LAB_HOST_DIR: HOST_DIR };

/** Run a command; on failure throw with the command, exit status and the tail of its output. */
function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; ok?: number[]; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 64 << 20,
  });
  if (r.error || !(opts.ok ?? [0]).includes(r.status ?? -1)) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(
      `${cmd} ${args.join(' ')} (cwd ${opts.cwd ?? process.cwd()}) exited ${r.status ?? r.signal} ${r.error?.message ?? ''}\n${tail}`,
    );
  }
  return r;
}

const tofu = (dir: string, args: string[], ok?: number[]) =>
  run('ip', ['netns', 'exec', NS, TOFU, ...args], { cwd: dir, env: tfEnv, ok });

/** Synthesize a LabStack with a real App into `outdir`; returns the stack's directory. */
function synthTo(lab: Lab, outdir: string): string {
  const app = new App({ outdir });
  new LabStack(app, lab.name, { lab, root: REPO_ROOT, domainType: 'qemu' });
  app.synth();
  return path.join(outdir, 'stacks', lab.name);
}

describe('synthesized stack with OpenTofu and the locally built libvirt provider', () => {
  let tmp: string;
  let hostUp = false;
  let uri = '';
  let pool = '';

  beforeAll(() => {
    // CI runs the toolchain first; a fresh checkout builds it here (cached in .toolchain/).
    run(path.join(REPO_ROOT, 'tools', 'toolchain.sh'), [], { timeoutMs: 1_500_000 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-tofu-'));
    const up = run('bash', [path.join(REPO_ROOT, 'e2e', 'host', 'up.sh'), tag], { env: hostEnv, timeoutMs: 180_000 });
    hostUp = true;
    uri = /SWARM_LAB_LIBVIRT_URI='([^']+)'/.exec(up.stdout)?.[1] ?? '';
    pool = /SWARM_LAB_POOL='([^']+)'/.exec(up.stdout)?.[1] ?? '';
    if (!uri || !pool) throw new Error(`e2e/host/up.sh printed no URI/pool:\n${up.stdout}`);
  }, 1_800_000);

  afterAll(() => {
    // Always tear down what we started (domains, networks, libvirtd by PID, the namespace).
    if (hostUp || fs.existsSync(HOST_DIR)) {
      // --purge: a test host keeps no logs or capability cache behind (.cache/host/stk<pid>).
      run('bash', [path.join(REPO_ROOT, 'e2e', 'host', 'down.sh'), tag, '--purge'], {
        env: hostEnv,
        timeoutMs: 120_000,
        ok: [0, 1],
      });
    }
    fs.rmSync(HOST_DIR, { recursive: true, force: true });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 180_000);

  test('the committed .gen bindings equal a fresh `cdktf get` from the locally built provider', () => {
    const r = run(path.join(REPO_ROOT, 'tools', 'gen-bindings.sh'), ['--check'], {
      cwd: REPO_ROOT,
      timeoutMs: 300_000,
    });
    expect(r.stderr).toContain('.gen matches a fresh generation');
  });

  test('tofu validate accepts the synthesized default lab', () => {
    const lab = resolveLab({ context: { labDir: path.join(tmp, 'validate-lab') }, env: {} });
    const dir = synthTo(lab, path.join(tmp, 'validate-out'));
    tofu(dir, ['init', '-backend=false', '-no-color']);
    const r = tofu(dir, ['validate', '-json', '-no-color']);
    const v = JSON.parse(r.stdout);
    expect(v.diagnostics).toEqual([]);
    expect(v.valid).toBe(true);
    // the provider came from the filesystem mirror, pinned
    expect(fs.readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8')).toMatch(
      /provider "registry\.terraform\.io\/dmacvicar\/libvirt"[\s\S]*version\s+= "0\.8\.3"/,
    );
  });

  test('tofu plan against libvirtd in the test namespace; network and seeds apply and destroy for real', () => {
    const lab = resolveLab({
      context: { name: tag, libvirtUri: uri, pool, labDir: path.join(tmp, 'plan-lab') },
      env: {},
    });
    const dir = synthTo(lab, path.join(tmp, 'plan-out'));
    tofu(dir, ['init', '-no-color']);
    // 2 = success with changes: the provider connected to libvirtd and planned every object
    tofu(dir, ['plan', '-no-color', '-detailed-exitcode', '-out', 'lab.plan'], [2]);
    const plan = JSON.parse(tofu(dir, ['show', '-json', 'lab.plan']).stdout);
    const creates = (
      plan.resource_changes as Array<{ type: string; change: { actions: string[]; after: Record<string, any> } }>
    ).filter((c) => c.change.actions.includes('create'));
    const byType = (t: string) => creates.filter((c) => c.type === t);
    expect(byType('libvirt_domain')).toHaveLength(3);
    expect(byType('libvirt_network')).toHaveLength(1);
    expect(byType('libvirt_volume')).toHaveLength(7); // base + 3 disks + 3 seeds
    expect(byType('terraform_data')).toHaveLength(2); // image fetch + Ansible
    expect(byType('libvirt_domain').map((c) => c.change.after.type)).toEqual(['qemu', 'qemu', 'qemu']);

    // Apply what needs no base image: the network and the seed ISOs.
    const addr = (type: string, pred: (after: Record<string, any>) => boolean) =>
      (plan.resource_changes as Array<{ address: string; type: string; change: { after: Record<string, any> } }>)
        .filter((c) => c.type === type && pred(c.change.after))
        .map((c) => c.address);
    const targets = [...addr('libvirt_network', () => true), ...addr('libvirt_volume', (a) => /-seed-/.test(a.name))];
    expect(targets).toHaveLength(4);
    const targetArgs = targets.map((t) => `-target=${t}`);
    tofu(dir, ['apply', '-no-color', '-auto-approve', ...targetArgs]);
    try {
      const virsh = (...a: string[]) => run('virsh', ['-q', '-c', uri, ...a]).stdout;
      const netXml = virsh('net-dumpxml', lab.network.name);
      const bridge = /<bridge name='([^']+)'/.exec(netXml)?.[1];
      expect(bridge).toMatch(/^swl-[0-9a-f]{8}$/);
      expect(netXml).toMatch(/<ip (family='ipv4' )?address='10\.211\.55\.1' prefix='24'/);
      expect(netXml).not.toMatch(/<dhcp>/);
      expect(netXml).not.toMatch(/<forward/); // isolated
      // the bridge exists in the test namespace and not in the root namespace (network rule)
      expect(run('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', bridge!]).stdout).toContain('10.211.55.1/24');
      expect(run('ip', ['link', 'show', 'dev', bridge!], { ok: [0, 1] }).status).toBe(1);
      const vols = virsh('vol-list', pool);
      for (const n of lab.nodes) expect(vols).toMatch(new RegExp(`${tag}-${n.name}-seed-[0-9a-f]{12}\\.iso`));
      // state holds paths only: no private key from the seeds
      const state = fs.readFileSync(path.join(tmp, 'plan-lab', 'terraform.tfstate'), 'utf8');
      expect(state).toContain('-seed-');
      expect(state).not.toMatch(/PRIVATE KEY/);
    } finally {
      tofu(dir, ['destroy', '-no-color', '-auto-approve', ...targetArgs]);
    }
    expect(run('virsh', ['-q', '-c', uri, 'net-list', '--all', '--name']).stdout.trim()).toBe('');
  });
});
