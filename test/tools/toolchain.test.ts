/**
 * tools/toolchain.sh when the Go module proxy refuses a module: one line naming the module, the
 * version and Go's reason, and for a libvirt provider other than the pin, that 0.8.3 is the tested
 * pin. Runs a copy of the real script in a scratch checkout (its ROOT, so its own .toolchain/ and
 * module cache), never the shared .toolchain. OpenTofu counts as built there (its stamp and an
 * empty file: the failure path never runs it), so the run goes straight to the provider download,
 * a real request to the Go module proxy. Needs `go` on PATH, as the script does.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
const REPO_ROOT = path.resolve(__dirname, '..', '..');

const TOFU_VERSION = '1.10.10';
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-toolchain-'));
  fs.mkdirSync(path.join(tmp, 'tools'));
  fs.copyFileSync(path.join(REPO_ROOT, 'tools', 'toolchain.sh'), path.join(tmp, 'tools', 'toolchain.sh'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function goEnv(name: string): string {
  return spawnSync('go', ['env', name], { encoding: 'utf8' }).stdout.trim();
}

/** The scratch checkout's toolchain.sh with `env`; OpenTofu pre-stamped unless `tofuBuilt` is false. */
function toolchain(env: Record<string, string>, tofuBuilt = true) {
  const tc = path.join(tmp, '.toolchain');
  fs.rmSync(tc, { recursive: true, force: true });
  if (tofuBuilt) {
    fs.mkdirSync(path.join(tc, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(tc, 'stamps'), { recursive: true });
    fs.writeFileSync(path.join(tc, 'bin', 'tofu'), '', { mode: 0o755 });
    fs.writeFileSync(path.join(tc, 'stamps', 'tofu'), `tofu v${TOFU_VERSION} ${goEnv('GOOS')}_${goEnv('GOARCH')}\n`);
  }
  const r = spawnSync('bash', [path.join(tmp, 'tools', 'toolchain.sh')], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TOFU_VERSION, GOMODCACHE: path.join(tmp, 'gomod'), GOFLAGS: '-modcacherw', ...env },
  });
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('toolchain: error:'));
  return { code: r.status, stderr: r.stderr, errors };
}

// What this machine's proxy answered on 2026-12-01 ("403 Forbidden ... This module version is not
// available."), or, where a proxy serves the tag, Go's own refusal of v0.9.x (its go.mod says /v2).
const REFUSED = /(403 Forbidden server response: This module version is not available\.|invalid version: [^;]+)/;

describe('tools/toolchain.sh: a module the Go proxy does not serve', () => {
  test('LIBVIRT_PROVIDER_VERSION=0.9.7: one line with the module, version, the refusal and the tested pin', () => {
    const r = toolchain({ LIBVIRT_PROVIDER_VERSION: '0.9.7' });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    const [line] = r.errors;
    expect(line).toMatch(
      /^toolchain: error: go mod download github\.com\/dmacvicar\/terraform-provider-libvirt@v0\.9\.7 failed: /,
    );
    expect(line).toMatch(REFUSED);
    expect(line).toMatch(
      /; v0\.8\.3 is the tested pin \(unset LIBVIRT_PROVIDER_VERSION; README "Libvirt provider 0\.9"\)$/,
    );
    // Nothing of the provider was built or mirrored.
    expect(fs.existsSync(path.join(tmp, '.toolchain', 'plugins'))).toBe(false);
  });

  test('another module (OpenTofu at a version nobody serves): the same one line, without the provider note', () => {
    const r = toolchain({ TOFU_VERSION: '1.10.99' }, false);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(/^toolchain: error: go mod download github\.com\/opentofu\/opentofu@v1\.10\.99 failed: \S/),
    ]);
    expect(r.errors[0]).not.toContain('tested pin');
    expect(fs.existsSync(path.join(tmp, '.toolchain', 'bin', 'tofu'))).toBe(false);
  });
});
