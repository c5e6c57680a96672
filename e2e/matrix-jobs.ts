/**
 * How many e2e labs the matrix runs at once, and the wall-time record of a matrix run.
 * The rule is the workshop's (workshop/capacity.ts): memory per lab = nodes x (guest + QEMU
 * overhead), the host keeps HOST_RESERVE_MIB; TCG boots are CPU-bound, so at most `bootBound`
 * labs boot at once. `--jobs N` overrides it (the reason then says so).
 */
import * as fs from 'fs';
import * as os from 'os';
import { bootBound, HOST_RESERVE_MIB, labDemand } from '../workshop/capacity';

/** The e2e lab: 3 nodes of 1 vCPU and 1536 MiB (e2e/offline-lab.ts). */
export const E2E_LAB = { nodes: 3, vcpu: 1, memoryMiB: 1536 } as const;

export interface JobsChoice {
  readonly jobs: number;
  /** One line with the figures that decided it. */
  readonly reason: string;
}

/** Labs at once for `cpus` host CPUs and `availableMiB` of memory (MemAvailable). */
export function matrixJobs(cpus: number, availableMiB: number, flavours: number, requested?: number): JobsChoice {
  const perLab = labDemand('e2e', E2E_LAB.nodes, E2E_LAB.vcpu, E2E_LAB.memoryMiB, 0).memoryMiB;
  const byMemory = Math.max(0, Math.floor((availableMiB - HOST_RESERVE_MIB) / perLab));
  const byCpu = bootBound(cpus);
  const figures = `memory fits ${byMemory} (${availableMiB} MiB available - ${HOST_RESERVE_MIB} kept, ${perLab} MiB per lab), CPUs allow ${byCpu} (${cpus} CPU(s), one TCG lab per two)`;
  if (requested !== undefined)
    return { jobs: Math.max(1, Math.min(requested, flavours)), reason: `--jobs ${requested}; ${figures}` };
  const jobs = Math.max(1, Math.min(byMemory, byCpu, flavours));
  return { jobs, reason: `${jobs} lab(s) at a time: ${figures}` };
}

/** MemAvailable of /proc/meminfo in MiB (os.freemem() leaves out the page cache). */
export function availableMemoryMiB(meminfo = '/proc/meminfo'): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync(meminfo, 'utf8'));
    if (m) return Math.floor(Number(m[1]) / 1024);
  } catch {
    // not Linux: fall through to what node knows
  }
  return Math.floor(os.freemem() / 1048576);
}

/** `<out>/matrix-run.json`: what the matrix runner measured around the single runs. */
export interface MatrixRun {
  readonly jobs: number;
  readonly jobsReason: string;
  readonly startedAt: string;
  /** Wall time of the whole matrix, s. */
  readonly wallS: number;
  /** Each flavour's own run, wall clock, in the order they ended. */
  readonly runs: ReadonlyArray<{ readonly flavour: string; readonly wallS: number; readonly exitCode: number | null }>;
}

export const MATRIX_RUN_FILE = 'matrix-run.json';

/** The run record, or undefined when it is missing or not one (a summary of another directory). */
export function readMatrixRun(file: string): MatrixRun | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<MatrixRun>;
    return typeof r.wallS === 'number' && Array.isArray(r.runs) && typeof r.jobs === 'number'
      ? (r as MatrixRun)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The single runs' summed wall time and the matrix's wall time over it (1.00: one lab after another). */
export function runFigures(r: MatrixRun): { sumS: number; ratio: number } {
  const sumS = r.runs.reduce((a, x) => a + x.wallS, 0);
  return { sumS, ratio: sumS > 0 ? r.wallS / sumS : 0 };
}
