/**
 * e2e/engine: the pinned releases are complete data, every source-built flavour has one, and the
 * builder's cache check names what is missing (no Go build runs here: `--check` only).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FLAVOURS } from '../../e2e/images/flavours';

const ENGINE = path.resolve(__dirname, '../../e2e/engine');
const RELEASES = path.join(ENGINE, 'releases');

interface Pin {
  readonly module: string;
  readonly version: string;
}
interface Release {
  readonly docker: string;
  readonly daemon: Pin & { readonly goMod: string };
  readonly cli: Pin & { readonly goMod: string };
  readonly containerd: Pin & { readonly readFrom: string };
  readonly runc: Pin & { readonly readFrom: string };
  readonly substitutions: ReadonlyArray<{
    component: string;
    module: string;
    pinned: string;
    used: string;
    why: string;
  }>;
  readonly proxyGap?: { module: string; version: string; answer: string };
}

const release = (v: string): Release => JSON.parse(fs.readFileSync(path.join(RELEASES, `${v}.json`), 'utf8'));

function check(version: string, cache: string): { code: number; err: string } {
  const r = spawnSync('bash', [path.join(ENGINE, 'build.sh'), version, '--check'], {
    encoding: 'utf8',
    env: { ...process.env, SWARM_LAB_ENGINE_CACHE: cache },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, err: r.stderr };
}

test('every source-built flavour has a complete pin record for its Docker version', () => {
  const source = FLAVOURS.filter((f) => f.engine === 'source');
  expect(source.map((f) => f.dockerVersion).sort()).toEqual(['25.0.5', '27.5.1', '29.8.0']);
  for (const f of source) {
    const r = release(f.dockerVersion);
    expect(r.docker).toBe(f.dockerVersion);
    for (const pin of [r.daemon, r.cli, r.containerd, r.runc]) expect(pin.version).toMatch(/^v\d+\.\d+\.\d+/);
    expect(r.runc.module).toBe('github.com/opencontainers/runc');
    expect(r.containerd.readFrom).toMatch(/containerd\.installer|ARG CONTAINERD_VERSION/);
    for (const s of r.substitutions) {
      expect(['daemon', 'cli', 'containerd', 'runc']).toContain(s.component);
      expect(s.why.length).toBeGreaterThan(20);
    }
  }
  // Docker 29's daemon is the moby/moby/v2 module; its CLI stays github.com/docker/cli.
  expect(release('29.8.0').daemon).toMatchObject({ module: 'github.com/moby/moby/v2', version: 'v2.0.0-beta.24' });
});

test('24.0.x records the dependency the proxy refuses', () => {
  expect(release('24.0.7').proxyGap).toMatchObject({ module: 'github.com/moby/buildkit', answer: '403 Forbidden' });
  expect(FLAVOURS.some((f) => f.dockerVersion === '24.0.7')).toBe(false);
});

describe('build.sh --check', () => {
  let cache: string;
  beforeEach(() => (cache = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-engine-'))));
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  test('an empty cache names every component as not built (exit 1)', () => {
    const r = check('27.5.1', cache);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(
      'engine: Docker 27.5.1 engine not built or stale: dockerd docker-proxy containerd containerd-shim-runc-v2 runc docker (run e2e/engine/build.sh 27.5.1)',
    );
  });

  test('a stale stamp makes only that component due', () => {
    const bin = path.join(cache, '27.5.1', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.mkdirSync(path.join(cache, '27.5.1', 'stamps'));
    for (const c of ['dockerd', 'runc']) {
      fs.writeFileSync(path.join(bin, c), '#!/bin/sh\n', { mode: 0o755 });
      fs.writeFileSync(path.join(cache, '27.5.1', 'stamps', c), 'not-the-hash\n');
    }
    expect(check('27.5.1', cache).err).toContain('stale: dockerd docker-proxy containerd');
  });

  test('a version without a record is a usage error listing the records (exit 3)', () => {
    const r = check('23.0.0', cache);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(
      /^engine: error: no pin record for Docker 23\.0\.0 \(have: .*25\.0\.5.*\); add one with e2e\/engine\/pin\.sh 23\.0\.0\n$/,
    );
  });
});
