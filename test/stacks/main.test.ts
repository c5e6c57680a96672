import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveLab } from '../../stacks/lab';
import { checkControllerTools, checkLibvirtSocket, checkLocalImageFiles } from '../../stacks/preflight';
import { REPO_ROOT } from './helpers';

/** Run the CDKTF app the way `cdktf synth` does (cdktf.json "app"). */
function runApp(env: NodeJS.ProcessEnv, outdir: string) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDKTF_OUTDIR: outdir, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('main.ts (the cdktf app)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-main-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('a bad lab value is one line on stderr and exit 1, no stack trace', () => {
    const r = runApp({ SWARM_LAB_REPLICAS: '0', SWARM_LAB_DIR: path.join(tmp, 'lab') }, path.join(tmp, 'out'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('swarm-lab: lab config: service.replicas: 0 is out of range; allowed integer 1-100\n');
  });

  test('synthesizes the lab named by env into the outdir and says which domain type and why', () => {
    const out = path.join(tmp, 'out2');
    const r = runApp(
      { SWARM_LAB_NAME: 'main-test', SWARM_LAB_DOMAIN_TYPE: 'qemu', SWARM_LAB_DIR: path.join(tmp, 'lab2') },
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('swarm-lab: lab main-test: domain type qemu (domainType qemu set explicitly)');
    const tf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'main-test', 'cdk.tf.json'), 'utf8'));
    expect(tf.terraform.backend.local.path).toBe(path.join(tmp, 'lab2', 'terraform.tfstate'));
    expect(Object.keys(tf.resource.libvirt_domain)).toHaveLength(3);
  });
});

describe('preflight', () => {
  test('a local image that was not built names the missing files and the fix', () => {
    const lab = resolveLab({ context: { image: 'debiansid-docker28' }, env: {} });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-pre-'));
    try {
      expect(() => checkLocalImageFiles(lab, root)).toThrow(
        new RegExp(
          `^image debiansid-docker28: missing ${root}/\\.cache/images/debiansid-docker28/disk\\.qcow2, .*vmlinuz, .*initrd\\.img; build the lab images first`,
        ),
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('missing xsltproc is named with its package', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => checkControllerTools()).toThrow(/^xsltproc not found; .*apt-get install xsltproc/);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('libvirt socket preflight (npm run lab, before deploy)', () => {
  test('a local URI without its socket names the socket and the fix', () => {
    const lab = resolveLab({ env: {} });
    expect(() => checkLibvirtSocket(lab, () => false)).toThrow(
      /no libvirtd socket at \/var\/run\/libvirt\/libvirt-sock; start libvirtd/,
    );
    const custom = resolveLab({ env: { SWARM_LAB_LIBVIRT_URI: 'qemu:///system?socket=/tmp/x/libvirt-sock' } });
    expect(() => checkLibvirtSocket(custom, (p) => p === '/tmp/x/libvirt-sock')).not.toThrow();
    expect(() => checkLibvirtSocket(custom, () => false)).toThrow(/\/tmp\/x\/libvirt-sock/);
    const remote = resolveLab({ env: { SWARM_LAB_LIBVIRT_URI: 'qemu+ssh://host/system' } });
    expect(() => checkLibvirtSocket(remote, () => false)).not.toThrow();
  });
});
