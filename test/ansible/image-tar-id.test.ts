/**
 * ansible/roles/service/files/image_tar_id.py: the image IDs a `docker save` tarball carries: the
 * sha256 of its config JSON (what `docker image inspect` reports after `docker load` on the classic
 * image store) and the OCI manifest digest its index names (the ID on the containerd image store,
 * Docker 29's default), so nodes that already hold that exact image skip the copy and the load.
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ANSIBLE_DIR } from './ansible-run';

const SCRIPT = path.join(ANSIBLE_DIR, 'roles', 'service', 'files', 'image_tar_id.py');
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-image-id-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Build a docker-save style tarball with tar(1): manifest.json, the config, one layer. */
function saveTarball(
  name: string,
  opts: { oci: boolean; tags: string[]; manifest?: boolean; index?: Array<{ name: string; digest: string }> },
): { file: string; id: string } {
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['httpd', '-f'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] },
      created: new Date(0).toISOString(),
      name,
    }),
  );
  const hex = createHash('sha256').update(config).digest('hex');
  const configPath = opts.oci ? `blobs/sha256/${hex}` : `${hex}.json`;
  fs.mkdirSync(path.join(dir, path.dirname(configPath)), { recursive: true });
  fs.writeFileSync(path.join(dir, configPath), config);
  fs.mkdirSync(path.join(dir, 'layer'));
  fs.writeFileSync(path.join(dir, 'layer', 'layer.tar'), Buffer.alloc(1024));
  const entries = [configPath, 'layer/layer.tar'];
  if (opts.manifest !== false) {
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify([{ Config: configPath, RepoTags: opts.tags, Layers: ['layer/layer.tar'] }]),
    );
    entries.push('manifest.json');
  }
  if (opts.index) {
    const manifests = opts.index.map((m) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: m.digest,
      size: 400,
      annotations: { 'io.containerd.image.name': m.name, 'org.opencontainers.image.ref.name': m.name.split(':').pop() },
    }));
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
    entries.push('index.json');
  }
  const file = path.join(tmp, `${name}.tar`);
  execFileSync('tar', ['-cf', file, '-C', dir, ...entries]);
  return { file, id: `sha256:${hex}` };
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.each([
  ['legacy docker save layout', false],
  ['OCI layout (docker >= 25 save)', true],
])('prints the config digest as the image ID: %s', (_label, oci) => {
  const t = saveTarball(oci ? 'oci' : 'legacy', { oci, tags: ['swarm-lab-web:1'] });
  const r = run(t.file, 'swarm-lab-web:1');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe(t.id);
});

test('with an OCI index naming the tag, the manifest digest too: the ID under the containerd image store', () => {
  const m = `sha256:${'a'.repeat(64)}`;
  const other = `sha256:${'b'.repeat(64)}`;
  const t = saveTarball('index', {
    oci: true,
    tags: ['swarm-lab-web:1'],
    index: [
      { name: 'docker.io/library/other:2', digest: other },
      { name: 'docker.io/library/swarm-lab-web:1', digest: m },
    ],
  });
  const r = run(t.file, 'swarm-lab-web:1');
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe(`${t.id} ${m}`);
  // An index that does not name the tag adds nothing.
  expect(
    run(
      saveTarball('index2', {
        oci: true,
        tags: ['web:3'],
        index: [{ name: 'docker.io/library/other:2', digest: other }],
      }).file,
      'web:3',
    ).stdout.trim(),
  ).toMatch(/^sha256:[0-9a-f]{64}$/);
});

test('a bare name means tag latest, as docker reads it', () => {
  const t = saveTarball('latest', { oci: false, tags: ['web:latest'] });
  expect(run(t.file, 'web').stdout.trim()).toBe(t.id);
});

test('a tarball without the wanted tag fails naming the tags it has', () => {
  const t = saveTarball('other', { oci: false, tags: ['other:2', 'other:3'] });
  const r = run(t.file, 'swarm-lab-web:1');
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/does not carry swarm-lab-web:1 \(it has: other:2, other:3\); set service_image/);
});

test('a tarball without manifest.json is refused as not docker-save format', () => {
  const t = saveTarball('nomanifest', { oci: false, tags: ['x:1'], manifest: false });
  const r = run(t.file, 'x:1');
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/no readable manifest\.json .*docker save/);
});

test('a missing tarball names the builder to run', () => {
  const r = run(path.join(tmp, 'absent.tar'), 'x:1');
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/cannot read .*absent\.tar.*build the web image first \(e2e\/images\)/);
});
