import { EXIT, SwarmLabError } from '../../lib/exit';
import {
  bootBound,
  HOST_RESERVE_MIB,
  labDemand,
  parseCapacity,
  place,
  QEMU_OVERHEAD_MIB,
  type HostCapacity,
} from '../../workshop/capacity';

// What `virsh nodeinfo`, `nodememstats`, `pool-info` and `hostname` answered on this machine (libvirt 9.0.0).
const NODEINFO = `CPU model:           x86_64
CPU(s):              2
CPU frequency:       2600 MHz
CPU socket(s):       1
Core(s) per socket:  2
Thread(s) per core:  1
NUMA cell(s):        1
Memory size:         24684084 KiB
`;
const MEMSTATS = `total  :             24684084 KiB
free   :              3527216 KiB
buffers:               798708 KiB
cached :             11096012 KiB
`;
const POOLINFO = `Name:           swl-wt-h1
UUID:           0b1c
State:          running
Persistent:     yes
Autostart:      yes
Capacity:       251.00 GiB
Allocation:     35.50 GiB
Available:      215.50 GiB
`;

const host = (name: string, machine: string, availableMiB: number, diskFreeGiB = 200, cpus = 2): HostCapacity => ({
  host: name,
  machine,
  cpus,
  memoryMiB: 24105,
  availableMiB,
  diskFreeGiB,
});
const lab = (i: number) => labDemand(`ws-${i}`, 3, 1, 1536, 8);

describe('workshop capacity: measured through libvirt, placed by the rule', () => {
  test('virsh answers become figures: CPUs, total and available memory (free + buffers + cached), pool free space', () => {
    expect(
      parseCapacity('h1', { nodeinfo: NODEINFO, memstats: MEMSTATS, poolinfo: POOLINFO, hostname: 'vm\n' }),
    ).toEqual({
      host: 'h1',
      machine: 'vm',
      cpus: 2,
      memoryMiB: 24105,
      availableMiB: Math.floor((3527216 + 798708 + 11096012) / 1024),
      diskFreeGiB: 215.5,
    });
  });

  test('an answer without a figure is an environment error naming the host and the field', () => {
    expect(() => parseCapacity('h2', { nodeinfo: '', memstats: MEMSTATS, poolinfo: POOLINFO, hostname: 'vm' })).toThrow(
      /host h2: no CPU\(s\) in virsh output/,
    );
  });

  test('a lab of 3 nodes needs 3 x (memory + QEMU overhead), 3 vCPUs and 3 x its disk', () => {
    expect(lab(1)).toEqual({ lab: 'ws-1', vcpus: 3, memoryMiB: 3 * (1536 + QEMU_OVERHEAD_MIB), diskGiB: 24 });
  });

  test('two labs on one host fit when available memory covers both plus the host reserve', () => {
    const need = 2 * lab(1).memoryMiB + HOST_RESERVE_MIB;
    const p = place([lab(1), lab(2)], [host('h1', 'vm', need)]);
    expect(p.hostOf).toEqual({ 'ws-1': 'h1', 'ws-2': 'h1' });
    expect(p.left[0].memoryMiB).toBe(0);
  });

  test('refused with the figures, and nothing placed, when the second lab does not fit', () => {
    const avail = 2 * lab(1).memoryMiB + HOST_RESERVE_MIB - 1;
    let err: unknown;
    try {
      place([lab(1), lab(2)], [host('h1', 'vm', avail)]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwarmLabError);
    expect((err as SwarmLabError).exitCode).toBe(EXIT.env);
    expect((err as SwarmLabError).message).toBe(
      `lab ws-2 does not fit after ws-1: it needs 5760 MiB memory, 3 vCPU, 24 GiB disk; vm: 5759 MiB, 5 vCPU, 176.0 GiB left (after 2048 MiB kept for the host, 4 vCPU per CPU); nothing was created`,
    );
  });

  test('vCPUs and disk limit too: 2 CPUs at ratio 1 take no 3-vCPU lab, a 20 GiB pool no 24 GiB lab', () => {
    expect(() => place([lab(1)], [host('h1', 'vm', 20000)], 1)).toThrow(/needs 5760 MiB memory, 3 vCPU.*2 vCPU/);
    expect(() => place([lab(1)], [host('h1', 'vm', 20000, 20)])).toThrow(/24 GiB disk.*20\.0 GiB left/);
  });

  test('simulated hosts on one machine share its budget (pooled by virsh hostname), labs spread over them', () => {
    const one = lab(1).memoryMiB;
    const hosts = [host('h1', 'vm', 2 * one + HOST_RESERVE_MIB), host('h2', 'vm', 2 * one + HOST_RESERVE_MIB)];
    expect(place([lab(1), lab(2)], hosts).hostOf).toEqual({ 'ws-1': 'h1', 'ws-2': 'h2' });
    // The same machine counted once: a third lab does not fit although each host alone reports room for two.
    expect(() => place([lab(1), lab(2), lab(3)], hosts)).toThrow(/lab ws-3 does not fit after ws-1, ws-2/);
  });

  test('separate machines each give their own budget; the one with more memory left takes the next lab', () => {
    const one = lab(1).memoryMiB + HOST_RESERVE_MIB;
    const p = place(
      [lab(1), lab(2), lab(3)],
      [host('a', 'm1', one), host('b', 'm2', 2 * lab(1).memoryMiB + HOST_RESERVE_MIB)],
    );
    expect(p.hostOf).toEqual({ 'ws-1': 'b', 'ws-2': 'a', 'ws-3': 'b' });
  });

  test('boot bound: one lab booting per two CPUs, at least one', () => {
    expect([1, 2, 3, 4, 16].map(bootBound)).toEqual([1, 1, 1, 2, 8]);
  });
});
