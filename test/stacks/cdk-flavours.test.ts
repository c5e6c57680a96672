/**
 * Both CDKs behind stacks/cdk.ts: the default lab synthesized by the app (main.ts, as `cdktf synth`
 * runs it) with cdktf 0.21.0 and with CDK Terrain (cdktn 0.24.0, SWARM_LAB_CDK=cdktn), and the built
 * OpenTofu accepting both with the local provider mirror, offline: init and validate run in a fresh
 * network namespace that has nothing but loopback.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from './helpers';

const TC = path.join(REPO_ROOT, '.toolchain');
const NS = `swl-cdk${process.pid}`;
const tfEnv = { ...process.env, TF_CLI_CONFIG_FILE: path.join(TC, 'tofurc'), CHECKPOINT_DISABLE: '1', TF_INPUT: '0' };

function run(argv: string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): string {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  if (r.status !== 0)
    throw new Error(`${argv.join(' ')} (cwd ${cwd}) exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`.trim());
  return r.stdout;
}

describe('the default lab with cdktf and with cdktn', () => {
  let tmp: string;
  const out: Record<string, string> = {};
  beforeAll(() => {
    run(['bash', path.join(REPO_ROOT, 'tools', 'toolchain.sh')], process.env);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-cdk-'));
    run(['ip', 'netns', 'add', NS], process.env);
  }, 1_800_000);
  afterAll(() => {
    spawnSync('ip', ['netns', 'delete', NS]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test.each(['cdktf', 'cdktn'])('%s: the app synthesizes the lab and tofu validate accepts it', (cdk) => {
    const outdir = path.join(tmp, cdk);
    // One lab dir for both: its SSH keys and seed files are part of the stack.
    const env = {
      ...tfEnv,
      SWARM_LAB_CDK: cdk,
      CDKTF_OUTDIR: outdir,
      SWARM_LAB_DIR: path.join(tmp, 'lab'),
    };
    run([process.execPath, '-r', 'ts-node/register/transpile-only', 'main.ts'], env);
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as { version: string };
    expect(manifest.version).toBe(cdk === 'cdktf' ? '0.21.0' : '0.24.0');
    const dir = path.join(outdir, 'stacks', 'swarm-lab');
    out[cdk] = fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8');
    const tofu = (args: string[]) =>
      run(['ip', 'netns', 'exec', NS, path.join(TC, 'bin', 'tofu'), ...args], tfEnv, dir);
    tofu(['init', '-backend=false', '-no-color']);
    const v = JSON.parse(tofu(['validate', '-json', '-no-color'])) as { valid: boolean; diagnostics: unknown[] };
    expect(v).toMatchObject({ valid: true, diagnostics: [] });
  });

  test('the committed .gen-cdktn bindings equal a fresh `cdktn get` from the locally built provider', () => {
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'tools', 'gen-bindings.sh'), '--cdktn', '--check'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(r.stderr).toContain('.gen-cdktn matches a fresh generation (cdktn get');
    expect(r.status).toBe(0);
  }, 600_000);

  test('the two stacks are the same Terraform apart from the generator version', () => {
    const strip = (s: string) => s.replace(/"version": "0\.2[14]\.0"/, '"version": "<cdk>"');
    expect(out.cdktf).toBeDefined();
    expect(strip(out.cdktn)).toBe(strip(out.cdktf));
    expect(out.cdktf).toContain('"libvirt_domain"');
  });
});
