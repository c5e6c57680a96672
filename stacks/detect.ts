/**
 * Decide the libvirt domain type for `domainType: auto`: `kvm` only when KVM actually runs a
 * guest here, else `qemu` (TCG). Detect, don't guess: a /dev/kvm that opens is not enough (on
 * nested hosts it opens and guests then hang), so we run bounded probes with QEMU itself:
 *
 * 1. open /dev/kvm read-write (what QEMU needs);
 * 2. a 64 KiB firmware (tools/kvm-probe.S) that goes real mode -> protected mode -> paging ->
 *    long mode, as a kernel does, then exits QEMU through the isa-debug-exit port (status 3).
 *    Measured on a nested host: TCG 140 ms, the hanging KVM never exits (a real-mode-only
 *    probe passed there, so it would have lied);
 * 3. when a Linux kernel is at hand (the lab image's kernel, else the host's /boot kernel):
 *    boot it with no root disk and `panic=-1` under `-no-reboot`; a healthy KVM reaches the
 *    "unable to mount root" panic and exits within seconds, a hanging one hits the timeout.
 *
 * Every probe is bounded (timeout, SIGKILL) and has no network device. The verdict is cached
 * per host boot in the lab directory (`domain-type.json`); delete it to probe again.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DomainType } from './lab';

export type ConcreteDomainType = 'kvm' | 'qemu';

export interface DomainTypeVerdict {
  readonly type: ConcreteDomainType;
  /** One line: why this type (shown by synth, stored in the cache). */
  readonly reason: string;
  /** `/proc/sys/kernel/random/boot_id` at probe time; a reboot invalidates the cache. */
  readonly bootId?: string;
  readonly probedAt?: string;
}

export interface DetectProps {
  /** The lab's domainType; `kvm`/`qemu` are returned as is. */
  readonly requested: DomainType;
  /** libvirt URI; probing only makes sense when libvirtd runs on this host. */
  readonly libvirtUri: string;
  /** Cache file; default none (always probe). LabStack passes `<labDir>/domain-type.json`. */
  readonly cacheFile?: string;
  /** Kernels for probe 3, first readable wins (LabStack passes the lab images' kernels);
   * /boot/vmlinuz-$(uname -r) and /boot/vmlinuz are tried after them. */
  readonly kernels?: readonly string[];
  /** QEMU binary; default `qemu-system-x86_64` on PATH. */
  readonly qemuBinary?: string;
  /** Device node; default /dev/kvm (tests point it elsewhere). */
  readonly kvmDevice?: string;
  /** Per-probe time limit in ms; default 20000 (a healthy KVM needs < 2 s). */
  readonly timeoutMs?: number;
}

/** True when the URI names a libvirtd on this host (no host part, e.g. qemu:///system?socket=...). */
export function isLocalUri(uri: string): boolean {
  const m = /^[a-z0-9+]+:\/\/([^/]*)\//.exec(uri);
  return !!m && (m[1] === '' || m[1] === 'localhost' || m[1] === '127.0.0.1');
}

function bootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** tools/kvm-probe.S assembled (as --32; ld -Ttext 0 --oformat binary); a test re-assembles it. */
export const PROBE_CODE_HEX =
  'fa2e660f0116a8000f20c06683c8010f22c066ea1a000f00080066b810008ed88ec08ed0bf0010000031c0b9000c0000f3ab' +
  'c7050010000003200000c7050020000003300000c70500300000830000000f20e083c8200f22e0b8001000000f22d8b98000' +
  '00c00f320d000100000f300f20c00d000000800f22c0ea81000f001800b001e6f4f4ebfd0000000000000000ffff0000009a' +
  'cf00ffff00000092cf00ffff0000009aaf001f0088000f00';

/** The probe firmware image: code at 0xF0000, reset vector (0xFFFF0) = `ljmp 0xF000:0000`. */
export function probeFirmware(): Buffer {
  const b = Buffer.alloc(64 * 1024); // QEMU wants a BIOS size that is a multiple of 64 KiB
  Buffer.from(PROBE_CODE_HEX, 'hex').copy(b, 0);
  Buffer.from([0xea, 0x00, 0x00, 0x00, 0xf0]).copy(b, 0xfff0);
  return b;
}

interface ProbeRun {
  readonly ok: boolean;
  readonly detail: string;
}

function runQemu(
  qemu: string,
  args: string[],
  timeoutMs: number,
): { status: number | null; timedOut: boolean; out: string } {
  const r = spawnSync(qemu, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 });
  const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  if (r.error && !timedOut)
    throw new Error(`cannot run ${qemu}: ${r.error.message}; install qemu-system-x86 or set domainType`);
  return { status: r.status, timedOut, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const BASE_ARGS = [
  '-machine',
  'pc',
  '-display',
  'none',
  '-nodefaults',
  '-no-user-config',
  '-no-reboot',
  '-net',
  'none',
];

export function firmwareProbe(qemu: string, accel: 'kvm' | 'tcg', timeoutMs: number): ProbeRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-kvm-probe-'));
  try {
    const fw = path.join(dir, 'probe.bin');
    fs.writeFileSync(fw, probeFirmware());
    const r = runQemu(
      qemu,
      [
        ...BASE_ARGS,
        '-accel',
        accel,
        '-m',
        '16',
        '-bios',
        fw,
        '-device',
        'isa-debug-exit,iobase=0xf4,iosize=0x01',
        '-serial',
        'none',
        '-monitor',
        'none',
      ],
      timeoutMs,
    );
    if (r.timedOut)
      return {
        ok: false,
        detail: `long-mode firmware probe under ${accel} did not exit within ${timeoutMs} ms (guest hangs)`,
      };
    // isa-debug-exit turns the byte 1 into exit status (1 << 1) | 1 = 3.
    if (r.status === 3) return { ok: true, detail: `long-mode firmware probe under ${accel} ran` };
    return {
      ok: false,
      detail: `long-mode firmware probe under ${accel} exited ${r.status}: ${r.out.trim().split('\n').pop() ?? ''}`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function kernelProbe(qemu: string, kernel: string, accel: 'kvm' | 'tcg', timeoutMs: number): ProbeRun {
  const r = runQemu(
    qemu,
    [
      ...BASE_ARGS,
      '-accel',
      accel,
      '-m',
      '256',
      '-kernel',
      kernel,
      '-append',
      'console=ttyS0 panic=-1 root=/dev/nonexistent rootwait=0 quiet loglevel=3',
      '-serial',
      'stdio',
      '-monitor',
      'none',
    ],
    timeoutMs,
  );
  if (r.timedOut)
    return {
      ok: false,
      detail: `kernel ${kernel} did not reach its root-mount panic under ${accel} within ${timeoutMs} ms (guest hangs)`,
    };
  if (/Kernel panic|VFS: Unable to mount root|end Kernel panic/i.test(r.out)) {
    return { ok: true, detail: `kernel ${path.basename(kernel)} booted to its expected panic under ${accel}` };
  }
  return {
    ok: false,
    detail: `kernel probe under ${accel} exited ${r.status} without a panic message: ${r.out.trim().split('\n').pop() ?? ''}`,
  };
}

function firstKernel(candidates: readonly string[]): string | undefined {
  const c = [...candidates, `/boot/vmlinuz-${os.release()}`, '/boot/vmlinuz'];
  return c.find((k) => {
    try {
      fs.accessSync(k, fs.constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function readCache(file: string | undefined, boot: string | undefined): DomainTypeVerdict | undefined {
  if (!file || !fs.existsSync(file)) return undefined;
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as DomainTypeVerdict;
    if ((v.type === 'kvm' || v.type === 'qemu') && v.bootId === boot)
      return { ...v, reason: `${v.reason} (cached in ${file})` };
  } catch {
    /* a damaged cache is re-probed */
  }
  return undefined;
}

/** Resolve `auto` to `kvm` or `qemu` by probing; see the module comment. */
export function detectDomainType(p: DetectProps): DomainTypeVerdict {
  if (p.requested === 'kvm' || p.requested === 'qemu')
    return { type: p.requested, reason: `domainType ${p.requested} set explicitly` };
  if (!isLocalUri(p.libvirtUri)) {
    throw new Error(
      `lab config: domainType: auto can only probe a local libvirtd, but libvirtUri is ${p.libvirtUri}; set domainType to kvm or qemu`,
    );
  }
  const boot = bootId();
  const cached = readCache(p.cacheFile, boot);
  if (cached) return cached;
  const verdict = probe(p);
  const stored: DomainTypeVerdict = { ...verdict, bootId: boot, probedAt: new Date().toISOString() };
  if (p.cacheFile) {
    fs.mkdirSync(path.dirname(p.cacheFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(p.cacheFile, JSON.stringify(stored, null, 2) + '\n');
  }
  return stored;
}

function probe(p: DetectProps): DomainTypeVerdict {
  const dev = p.kvmDevice ?? '/dev/kvm';
  const qemu = p.qemuBinary ?? 'qemu-system-x86_64';
  const timeoutMs = p.timeoutMs ?? 20_000;
  try {
    fs.closeSync(fs.openSync(dev, 'r+'));
  } catch (e) {
    return {
      type: 'qemu',
      reason: `KVM unusable: cannot open ${dev} read-write (${(e as NodeJS.ErrnoException).code}); using TCG`,
    };
  }
  // The firmware needs ~100 ms under TCG; 10 s is generous even for a loaded host.
  const fw = firmwareProbe(qemu, 'kvm', Math.min(timeoutMs, 10_000));
  if (!fw.ok) return { type: 'qemu', reason: `KVM unusable: ${fw.detail}; using TCG` };
  const kernel = firstKernel(p.kernels ?? []);
  if (!kernel) return { type: 'kvm', reason: `KVM usable: ${fw.detail} (no kernel found for a boot probe)` };
  const k = kernelProbe(qemu, kernel, 'kvm', timeoutMs);
  if (!k.ok) return { type: 'qemu', reason: `KVM unusable: ${k.detail}; using TCG` };
  return { type: 'kvm', reason: `KVM usable: ${fw.detail}; ${k.detail}` };
}
