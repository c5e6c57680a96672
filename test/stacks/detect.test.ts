import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import {
  PROBE_CODE_HEX,
  detectDomainType,
  firmwareProbe,
  isLocalUri,
  kernelProbe,
  probeFirmware,
} from '../../stacks/detect';
import { REPO_ROOT } from './helpers';

describe('domain type detection', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-detect-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('an explicit kvm/qemu is used as is', () => {
    expect(detectDomainType({ requested: 'qemu', libvirtUri: 'qemu:///system' })).toMatchObject({
      type: 'qemu',
      reason: 'domainType qemu set explicitly',
    });
    expect(detectDomainType({ requested: 'kvm', libvirtUri: 'qemu+ssh://far/system' }).type).toBe('kvm');
  });

  test('auto refuses to guess for a remote libvirtd and names the field', () => {
    expect(() => detectDomainType({ requested: 'auto', libvirtUri: 'qemu+ssh://root@far.example/system' })).toThrow(
      /^lab config: domainType: auto can only probe a local libvirtd.*set domainType to kvm or qemu$/,
    );
  });

  test('local URIs include the custom-socket form used in network namespaces', () => {
    expect(isLocalUri('qemu:///system')).toBe(true);
    expect(isLocalUri('qemu:///system?socket=/x/run/libvirt-sock')).toBe(true);
    expect(isLocalUri('qemu+ssh://host/system')).toBe(false);
  });

  test('no usable /dev/kvm => qemu (TCG), with the reason; the verdict is cached per boot', () => {
    const cacheFile = path.join(tmp, 'domain-type.json');
    const missing = path.join(tmp, 'no-kvm');
    const v = detectDomainType({ requested: 'auto', libvirtUri: 'qemu:///system', kvmDevice: missing, cacheFile });
    expect(v.type).toBe('qemu');
    expect(v.reason).toContain(`cannot open ${missing} read-write (ENOENT)`);
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    expect(cached.bootId).toBe(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    // a second run reads the cache (even though the device now "exists")
    fs.writeFileSync(missing, '');
    const again = detectDomainType({ requested: 'auto', libvirtUri: 'qemu:///system', kvmDevice: missing, cacheFile });
    expect(again).toMatchObject({ type: 'qemu' });
    expect(again.reason).toContain('(cached in');
    // another boot id invalidates it
    fs.writeFileSync(cacheFile, JSON.stringify({ ...cached, bootId: 'another-boot' }));
    fs.rmSync(missing);
    expect(
      detectDomainType({ requested: 'auto', libvirtUri: 'qemu:///system', kvmDevice: missing, cacheFile }).reason,
    ).not.toContain('cached');
  });

  test('the firmware probe really reaches long mode (under TCG here) and exits through isa-debug-exit', () => {
    const r = firmwareProbe('qemu-system-x86_64', 'tcg', 20_000);
    expect(r).toEqual({ ok: true, detail: 'long-mode firmware probe under tcg ran' });
  });

  const hasAs = spawnSync('sh', ['-c', 'command -v as && command -v ld']).status === 0;
  (hasAs ? test : test.skip)('the embedded probe bytes are tools/kvm-probe.S assembled (binutils)', () => {
    const o = path.join(tmp, 'p.o');
    const bin = path.join(tmp, 'p.bin');
    expect(spawnSync('as', ['--32', '-o', o, path.join(REPO_ROOT, 'tools', 'kvm-probe.S')]).status).toBe(0);
    expect(spawnSync('ld', ['-m', 'elf_i386', '-Ttext', '0', '--oformat', 'binary', '-o', bin, o]).status).toBe(0);
    expect(fs.readFileSync(bin).toString('hex')).toBe(PROBE_CODE_HEX);
    const fw = probeFirmware();
    expect(fw.length).toBe(65536);
    expect(fw.subarray(0xfff0, 0xfff5).toString('hex')).toBe('ea000000f0'); // reset vector: ljmp f000:0000
  });

  test('a missing QEMU binary is an error naming the package', () => {
    expect(() => firmwareProbe(path.join(tmp, 'no-qemu'), 'tcg', 5_000)).toThrow(/install qemu-system-x86/);
  });

  const kernel = [
    ...['debian12-docker20', 'debian13-docker26', 'debiansid-docker28'].map((n) =>
      path.join(REPO_ROOT, '.cache/images', n, 'vmlinuz'),
    ),
    `/boot/vmlinuz-${os.release()}`,
  ].find((k) => fs.existsSync(k));
  (kernel ? test : test.skip)(
    `the kernel probe boots a kernel to its root-mount panic under TCG (${kernel ?? 'no kernel built yet'})`,
    () => {
      const r = kernelProbe('qemu-system-x86_64', kernel!, 'tcg', 60_000);
      expect(r.ok).toBe(true);
    },
  );
});
