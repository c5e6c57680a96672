/**
 * Capacity, measured on each libvirt host before anything is created, and placement of labs on it.
 * Figures come from the host's own libvirtd (`virsh nodeinfo`, `nodememstats`, `pool-info`,
 * `hostname`), so the same code reads a remote `qemu+ssh://` host. Simulated hosts on one machine
 * report the same machine: their budgets are pooled by `virsh hostname`, never counted twice.
 *
 * The rule (README "Workshops"): a lab of n nodes needs n x (memoryMiB + QEMU_OVERHEAD_MIB) memory,
 * n x vcpu vCPUs and n x diskGiB of pool space (qcow2 overlays are thin; the worst case is reserved).
 * A machine gives memory (free + buffers + cached) minus HOST_RESERVE_MIB, cpus x cpuRatio vCPUs,
 * and its pool's available bytes.
 */
import { spawnSync } from 'child_process';
import { EXIT, SwarmLabError } from '../lib/exit';

/** Measured: a TCG guest of 1536 MiB has ~1.84 GiB RSS once booted (qemu 9, Debian 12 guest): +~300 MiB. */
export const QEMU_OVERHEAD_MIB = 384;
/** Left to the host: tofu, Ansible, verify, the tests around. */
export const HOST_RESERVE_MIB = 2048;
export const DEFAULT_CPU_RATIO = 4;

export interface HostCapacity {
  readonly host: string;
  /** `virsh hostname`: hosts answering the same share one machine's budget. */
  readonly machine: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly availableMiB: number;
  readonly diskFreeGiB: number;
}

export interface LabDemand {
  readonly lab: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
}

export function labDemand(lab: string, nodes: number, vcpu: number, memoryMiB: number, diskGiB: number): LabDemand {
  return { lab, vcpus: nodes * vcpu, memoryMiB: nodes * (memoryMiB + QEMU_OVERHEAD_MIB), diskGiB: nodes * diskGiB };
}

const num = (text: string, re: RegExp, what: string, host: string): number => {
  const m = re.exec(text);
  if (!m) throw new SwarmLabError(EXIT.env, `host ${host}: no ${what} in virsh output: ${text.trim().slice(0, 200)}`);
  return Number(m[1]);
};

/** `virsh nodeinfo` + `virsh nodememstats` + `virsh pool-info <pool>` + `virsh hostname` answers -> figures. */
export function parseCapacity(
  host: string,
  out: { nodeinfo: string; memstats: string; poolinfo: string; hostname: string },
): HostCapacity {
  const kib = (k: string) => num(out.memstats, new RegExp(`^${k}\\s*:\\s*(\\d+) KiB`, 'm'), `${k} memory`, host);
  const avail = num(out.poolinfo, /^Available:\s*([\d.]+) (KiB|MiB|GiB|TiB)/m, 'pool Available', host);
  const unit = /^Available:\s*[\d.]+ (KiB|MiB|GiB|TiB)/m.exec(out.poolinfo)![1];
  const toGiB = { KiB: 1 / 1024 ** 2, MiB: 1 / 1024, GiB: 1, TiB: 1024 }[unit]!;
  return {
    host,
    machine: out.hostname.trim(),
    cpus: num(out.nodeinfo, /^CPU\(s\):\s*(\d+)/m, 'CPU(s)', host),
    memoryMiB: Math.floor(kib('total') / 1024),
    availableMiB: Math.floor((kib('free') + kib('buffers') + kib('cached')) / 1024),
    diskFreeGiB: Math.floor(avail * toGiB * 10) / 10,
  };
}

/** Ask one host's libvirtd. */
export function measureHost(host: string, uri: string, pool: string): HostCapacity {
  const virsh = (...a: string[]): string => {
    const r = spawnSync('virsh', ['-q', '-c', uri, ...a], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0)
      throw new SwarmLabError(
        EXIT.env,
        `host ${host}: virsh ${a.join(' ')} failed (exit ${r.status}): ${(r.stderr || '').trim()}`,
        {
          fix: `virsh -c '${uri}' ${a.join(' ')}`,
        },
      );
    return r.stdout;
  };
  return parseCapacity(host, {
    nodeinfo: virsh('nodeinfo'),
    memstats: virsh('nodememstats'),
    poolinfo: virsh('pool-info', pool),
    hostname: virsh('hostname'),
  });
}

export interface Placement {
  /** lab -> host */
  readonly hostOf: Readonly<Record<string, string>>;
  /** What is left per machine after placing, for the status line. */
  readonly left: ReadonlyArray<{ machine: string; memoryMiB: number; vcpus: number; diskGiB: number }>;
}

interface Budget {
  machine: string;
  memoryMiB: number;
  vcpus: number;
  diskGiB: number;
}

/**
 * Place labs in order, each on the host whose machine has the most memory left (so labs spread over
 * hosts); refuse the whole workshop, with the figures, when one lab fits nowhere. Nothing is created
 * before this passes.
 */
export function place(
  labs: readonly LabDemand[],
  hosts: readonly HostCapacity[],
  cpuRatio = DEFAULT_CPU_RATIO,
): Placement {
  if (!hosts.length) throw new SwarmLabError(EXIT.usage, 'no host to place labs on', { fix: '--hosts h1[,h2]' });
  const budgets = new Map<string, Budget>();
  for (const h of hosts) {
    if (budgets.has(h.machine)) continue;
    budgets.set(h.machine, {
      machine: h.machine,
      memoryMiB: h.availableMiB - HOST_RESERVE_MIB,
      vcpus: h.cpus * cpuRatio,
      diskGiB: h.diskFreeGiB,
    });
  }
  const placed = new Map<string, number>(hosts.map((h) => [h.host, 0]));
  const hostOf: Record<string, string> = {};
  for (const lab of labs) {
    const fits = hosts.filter((h) => {
      const b = budgets.get(h.machine)!;
      return b.memoryMiB >= lab.memoryMiB && b.vcpus >= lab.vcpus && b.diskGiB >= lab.diskGiB;
    });
    if (!fits.length) {
      const figures = [...budgets.values()]
        .map((b) => `${b.machine}: ${b.memoryMiB} MiB, ${b.vcpus} vCPU, ${b.diskGiB.toFixed(1)} GiB left`)
        .join('; ');
      throw new SwarmLabError(
        EXIT.env,
        `lab ${lab.lab} does not fit${Object.keys(hostOf).length ? ` after ${Object.keys(hostOf).join(', ')}` : ''}: it needs ${lab.memoryMiB} MiB memory, ${lab.vcpus} vCPU, ${lab.diskGiB} GiB disk; ${figures} (after ${HOST_RESERVE_MIB} MiB kept for the host, ${cpuRatio} vCPU per CPU); nothing was created`,
        { subject: lab.lab, fix: 'fewer --labs, more --hosts, or free memory/disk on the host' },
      );
    }
    // Most memory left on its machine first, then the host with fewest labs (spreads over simulated hosts of one machine).
    const best = [...fits].sort(
      (a, b) =>
        budgets.get(b.machine)!.memoryMiB - budgets.get(a.machine)!.memoryMiB ||
        placed.get(a.host)! - placed.get(b.host)!,
    )[0];
    const b = budgets.get(best.machine)!;
    b.memoryMiB -= lab.memoryMiB;
    b.vcpus -= lab.vcpus;
    b.diskGiB -= lab.diskGiB;
    placed.set(best.host, placed.get(best.host)! + 1);
    hostOf[lab.lab] = best.host;
  }
  return { hostOf, left: [...budgets.values()] };
}

/** Labs one machine boots at once by default: TCG boots are CPU-bound, one lab per two CPUs (at least one). */
export function bootBound(cpus: number): number {
  return Math.max(1, Math.floor(cpus / 2));
}
