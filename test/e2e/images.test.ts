/**
 * e2e/images: images are cached by the content of their inputs, and the web
 * service image is a valid, reproducible `docker load` archive.
 *
 * The stamp tests run the real builder CLI on a copy of e2e/images and never
 * debootstrap (~2 s). The web test downloads busybox-static from Debian's
 * mirror (~10 s; needs dpkg-deb, apt-get and the mirror).
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { imageDir, imageUpToDate } from '../../e2e/images';

const SRC = path.resolve(__dirname, '../../e2e/images');
const ENGINE_SRC = path.resolve(__dirname, '../../e2e/engine');
/** Flavours with an engine built from source (e2e/engine), and every VM flavour. */
const SOURCE_VMS = ['debian12-docker25', 'debian12-docker27', 'debian12-docker29'];
const VMS = ['debian11-docker20', 'debian12-docker20', 'debian13-docker26', 'debiansid-docker28', ...SOURCE_VMS];

let tmp: string;
let builder: string;

function run(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const r = spawnSync(builder, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function stamp(name: string): string {
  const r = run(['--stamp', name]);
  if (r.code !== 0) throw new Error(`build.sh --stamp ${name} exited ${r.code}: ${r.err}`);
  return r.out.trim();
}

function stamps(): Record<string, string> {
  return Object.fromEntries([...VMS, 'web'].map((n) => [n, stamp(n)]));
}

function edit(rel: string, f: (s: string) => string): void {
  const p = path.join(tmp, rel.startsWith('../') ? path.join('e2e', rel.slice(3)) : path.join('e2e/images', rel));
  fs.writeFileSync(p, f(fs.readFileSync(p, 'utf8')));
}

/** Names whose stamp differs between two snapshots. */
function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a)
    .filter((k) => a[k] !== b[k])
    .sort();
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-images-'));
  fs.cpSync(SRC, path.join(tmp, 'e2e/images'), { recursive: true });
  fs.cpSync(ENGINE_SRC, path.join(tmp, 'e2e/engine'), { recursive: true });
  builder = path.join(tmp, 'e2e/images/build.sh');
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('input stamps', () => {
  test('are stable sha256 hashes of each image', () => {
    const a = stamps();
    for (const s of Object.values(a)) expect(s).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(Object.values(a)).size).toBe(VMS.length + 1);
    expect(stamps()).toEqual(a);
  });

  test('the package list changes every VM image, not the web image', () => {
    const before = stamps();
    edit('packages.txt', (s) => s + 'jq\n');
    expect(changed(before, stamps())).toEqual([...VMS].sort());
  });

  test('a flavour file (suite, Docker version) changes only that flavour', () => {
    const before = stamps();
    edit('flavours/debian13-docker26.conf', (s) => s.replace('SUITE=trixie', 'SUITE=trixie-backports'));
    expect(changed(before, stamps())).toEqual(['debian13-docker26']);
  });

  test('an engine pin record changes only the flavour carrying it; the engine builder every source flavour', () => {
    const before = stamps();
    edit('../engine/releases/27.5.1.json', (s) => s.replace('v1.7.25', 'v1.7.24'));
    expect(changed(before, stamps())).toEqual(['debian12-docker27']);
    const mid = stamps();
    edit('../engine/build.sh', (s) => s + '\n# changed\n');
    expect(changed(mid, stamps())).toEqual([...SOURCE_VMS].sort());
    const late = stamps();
    edit('engine-rootfs/usr/lib/systemd/system/docker.service', (s) => s + '\n# changed\n');
    expect(changed(late, stamps())).toEqual([...SOURCE_VMS].sort());
  });

  test('the rootfs overlay counts by content and by name', () => {
    const before = stamps();
    edit('rootfs/etc/ssh/sshd_config.d/swarm-lab.conf', (s) => s.replace('UseDNS no', 'UseDNS yes'));
    const afterEdit = stamps();
    expect(changed(before, afterEdit)).toEqual([...VMS].sort());
    const dir = path.join(tmp, 'e2e/images/rootfs/etc/ssh/sshd_config.d');
    fs.renameSync(path.join(dir, 'swarm-lab.conf'), path.join(dir, 'zz-swarm-lab.conf'));
    expect(changed(afterEdit, stamps())).toEqual([...VMS].sort());
  });

  test('the builders change their own images; the dispatcher alone changes none', () => {
    const before = stamps();
    edit('web-image.sh', (s) => s.replace('IMAGE_REF=swarm-lab-web:1', 'IMAGE_REF=swarm-lab-web:2'));
    expect(changed(before, stamps())).toEqual(['web']);
    const mid = stamps();
    edit('vm-image.sh', (s) => s + '\n# changed\n');
    expect(changed(mid, stamps())).toEqual([...VMS].sort());
    const late = stamps();
    edit('build.sh', (s) => s + '\n# a comment\n');
    expect(stamps()).toEqual(late);
    edit('build.sh', (s) => s.replace('STAMP_VERSION=1', 'STAMP_VERSION=2'));
    expect(changed(late, stamps())).toEqual([...VMS, 'web'].sort());
  });

  test('unknown names are refused with the known ones listed', () => {
    const r = run(['--stamp', 'debian11-docker18']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(
      "unknown image 'debian11-docker18'; known: debian11-docker20 debian12-docker20 debian12-docker25 debian12-docker27 debian12-docker29 debian13-docker26 debiansid-docker28 web",
    );
  });
});

describe('cache reuse', () => {
  const name = 'debian12-docker20';
  let cache: string;

  function fakeBuilt(): void {
    fs.mkdirSync(path.join(cache, name), { recursive: true });
    for (const f of ['disk.qcow2', 'vmlinuz', 'initrd.img']) fs.writeFileSync(path.join(cache, name, f), 'x');
    fs.writeFileSync(path.join(cache, name, 'stamp'), stamp(name) + '\n');
  }

  beforeEach(() => {
    cache = path.join(tmp, 'cache');
  });

  test('a complete image with the current stamp is reused without building', () => {
    fakeBuilt();
    expect(run(['--check', name], { SWARM_LAB_IMAGE_CACHE: cache }).code).toBe(0);
    expect(imageUpToDate(name, { root: tmp, cacheDir: cache })).toBe(true);
    expect(imageDir(name, { root: tmp, cacheDir: cache })).toBe(path.join(cache, name));
    const t0 = Date.now();
    const r = run([name], { SWARM_LAB_IMAGE_CACHE: cache });
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${name}: up to date`);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(fs.existsSync(path.join(cache, '.work'))).toBe(false);
  });

  test('changed inputs or a missing output make a build due', () => {
    fakeBuilt();
    edit('packages.txt', (s) => s + 'jq\n');
    const r = run(['--check', name], { SWARM_LAB_IMAGE_CACHE: cache });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${name}: build due`);
    fakeBuilt();
    fs.rmSync(path.join(cache, name, 'initrd.img'));
    expect(run(['--check', name], { SWARM_LAB_IMAGE_CACHE: cache }).code).toBe(1);
    expect(run(['--check', 'web'], { SWARM_LAB_IMAGE_CACHE: cache }).code).toBe(1);
    expect(imageUpToDate('web', { root: tmp, cacheDir: cache })).toBe(false);
  });
});

describe('web image archive', () => {
  const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');
  const tarRead = (tar: string, member: string): Buffer => {
    const r = spawnSync('tar', ['-xOf', tar, member], { maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`tar -xOf ${tar} ${member}: ${r.stderr.toString()}`);
    return r.stdout;
  };

  test('is a docker-loadable archive whose digests match, byte-for-byte reproducible', () => {
    const cache = path.join(tmp, 'cache');
    const first = run(['web'], { SWARM_LAB_IMAGE_CACHE: cache });
    expect(first.err).toMatch(/web: done/);
    const tar = path.join(cache, 'web/web.tar');
    const manifest = JSON.parse(tarRead(tar, './manifest.json').toString());
    expect(manifest).toHaveLength(1);
    expect(manifest[0].RepoTags).toEqual(['swarm-lab-web:1']);

    // docker load checks these: config named by its digest, layer by its diff_id.
    const cfgRaw = tarRead(tar, `./${manifest[0].Config}`);
    expect(manifest[0].Config).toBe(`blobs/sha256/${sha(cfgRaw)}`);
    const cfg = JSON.parse(cfgRaw.toString());
    const layer = tarRead(tar, `./${manifest[0].Layers[0]}`);
    expect(cfg.rootfs).toEqual({ type: 'layers', diff_ids: [`sha256:${sha(layer)}`] });
    expect(cfg.os).toBe('linux');
    expect(cfg.architecture).toBe('amd64');
    expect(cfg.config.Cmd).toEqual(['/bin/busybox', 'httpd', '-f', '-v', '-p', '80', '-h', '/usr/share/nginx/html']);
    expect(fs.readFileSync(path.join(cache, 'web/image-id'), 'utf8').trim()).toBe(`sha256:${sha(cfgRaw)}`);

    // The OCI layout beside it (the containerd image store loads from index.json): the index names
    // the tag and points at a manifest blob whose config and layer are the same blobs, by digest and size.
    const index = JSON.parse(tarRead(tar, './index.json').toString());
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].annotations['io.containerd.image.name']).toBe('docker.io/library/swarm-lab-web:1');
    const manRaw = tarRead(tar, `./blobs/sha256/${index.manifests[0].digest.slice(7)}`);
    expect(`sha256:${sha(manRaw)}`).toBe(index.manifests[0].digest);
    expect(manRaw.length).toBe(index.manifests[0].size);
    const man = JSON.parse(manRaw.toString());
    expect(man.config).toEqual({
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${sha(cfgRaw)}`,
      size: cfgRaw.length,
    });
    expect(man.layers).toEqual([
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: cfg.rootfs.diff_ids[0], size: layer.length },
    ]);
    expect(JSON.parse(tarRead(tar, './oci-layout').toString())).toEqual({ imageLayoutVersion: '1.0.0' });

    // The layer holds a static busybox and the directory Ansible bind-mounts.
    const layerFile = path.join(tmp, 'layer.tar');
    fs.writeFileSync(layerFile, layer);
    const members = spawnSync('tar', ['-tvf', layerFile], { encoding: 'utf8' }).stdout;
    expect(members).toMatch(/^-rwxr-xr-x 0\/0 .* \.\/bin\/busybox$/m);
    expect(members).toMatch(/\.\/bin\/httpd -> busybox$/m);
    expect(members).toMatch(/\.\/usr\/share\/nginx\/html\/index\.html$/m);

    const digest = sha(fs.readFileSync(tar));
    expect(run(['--force', 'web'], { SWARM_LAB_IMAGE_CACHE: cache }).code).toBe(0);
    expect(sha(fs.readFileSync(tar))).toBe(digest);
  });
});
