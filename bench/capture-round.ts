/**
 * Benchmark: how long one 3-node capture round takes against the sshd harness
 * (real sshd + tcpdump + VXLAN overlay in namespaces; see test/harness/vxlan-lab.ts).
 * Phases: SSH connect, start + confirm every tcpdump, N requests, stop, SFTP download + cleanup.
 *
 *   npx ts-node --transpile-only bench/capture-round.ts [rounds=3] [requests=6]
 *
 * Root only (creates namespaces). Prints figures; asserts nothing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { CaptureSession } from '../verify/capture';
import { HostKeyPins } from '../verify/hostkeys';
import { SshPool } from '../verify/ssh';
import { generateTraffic } from '../verify/traffic';
import { SshdHarness } from '../test/harness/sshd-harness';
import { buildVxlanLab, TASK_PORT } from '../test/harness/vxlan-lab';

export const BENCH_CAPTURE_CLI = {
  usage: 'npx ts-node --transpile-only bench/capture-round.ts',
  summary: 'One 3-node capture round against the sshd harness, timed per phase (root only; asserts nothing).',
  positionals: '[rounds=3] [requests=6]',
  options: {},
} as const satisfies CliSpec<Record<string, CliOption>>;

/** `[rounds] [requests]`, whole numbers >= 1. */
export function parseCaptureArgs(argv: readonly string[]): { rounds: number; requests: number; help?: string } {
  const a = parseCli(BENCH_CAPTURE_CLI, argv);
  if (a.positionals.length > 2)
    throw new SwarmLabError(EXIT.usage, `at most two numbers (rounds, requests), got ${a.positionals.length}`);
  const [rounds, requests] = [a.positionals[0] ?? '3', a.positionals[1] ?? '6'].map((v, i) => {
    if (!/^[1-9]\d*$/.test(v))
      throw new SwarmLabError(
        EXIT.usage,
        `${i ? 'requests' : 'rounds'} needs a whole number >= 1, got ${JSON.stringify(v)}`,
      );
    return Number(v);
  });
  return { rounds, requests, ...(a.help ? { help: a.text } : {}) };
}

async function main(): Promise<number> {
  const args = parseCaptureArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(args.help);
    return EXIT.ok;
  }
  const { rounds, requests } = args;
  const t0 = Date.now();
  const h = await SshdHarness.start({ hosts: 3 });
  // Ctrl-C / kill: still remove namespaces and processes (the harness's exit hook does not run on signals).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`${sig}: cleaning up`);
      void h.stop().finally(() => process.exit(130));
    });
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-bench-'));
  let pool: SshPool | undefined;
  try {
    const lab = await buildVxlanLab(h);
    const setupMs = Date.now() - t0;
    const pins = new HostKeyPins();
    pins.addKnownHosts(fs.readFileSync(h.knownHosts, 'utf8'), h.knownHosts);
    const points = lab.points();
    console.log(
      `harness: 3 sshd hosts + overlay in ${setupMs} ms; ${points.length} capture points; ${requests} requests per round`,
    );
    console.log('round  connect  start+listen  traffic  stop  collect  total   (ms)  pcap KiB');
    for (let r = 1; r <= rounds; r++) {
      // A fresh pool per round so `connect` is measured every time.
      pool = new SshPool(
        h.hosts.map((x) => ({ node: x.name, host: x.ip })),
        { user: 'root', privateKey: h.userKey, pins, dial: h.dial },
      );
      const p = pool;
      const a = Date.now();
      await p.all(p.nodes, (n) => p.connect(n));
      const b = Date.now();
      const s = await CaptureSession.start(p, points, { remoteDir: `/tmp/${h.prefix}-bench${r}` });
      const c = Date.now();
      const reqs = await generateTraffic(
        lab.hosts.map((x) => ({ entryNode: x.name, host: x.taskIp, port: TASK_PORT })),
        { count: requests, dial: lab.dialFromSbox, gapMs: 50 },
      );
      const d = Date.now();
      await s.stop();
      const e = Date.now();
      const files = await s.collect(path.join(out, `r${r}`));
      const f = Date.now();
      const kib = files.reduce((acc, x) => acc + (x.failed ? 0 : fs.statSync(x.file).size), 0) / 1024;
      const ok = reqs.filter((x) => x.status === 200).length;
      console.log(
        `${String(r).padStart(5)}  ${String(b - a).padStart(7)}  ${String(c - b).padStart(12)}  ${String(d - c).padStart(7)}  ${String(e - d).padStart(4)}  ${String(f - e).padStart(7)}  ${String(f - a).padStart(5)}        ${kib.toFixed(1)}  (${ok}/${reqs.length} answered, ${files.filter((x) => x.failed).length} failed points)`,
      );
      await p.close();
      pool = undefined;
    }
  } finally {
    await pool?.close();
    await h.stop();
    fs.rmSync(out, { recursive: true, force: true });
  }
  const left = h.leftoverNamespaces();
  console.log(`cleanup: ${left.length} namespaces left, ${h.livePids().length} processes left`);
  return EXIT.ok;
}

if (require.main === module) runMain('bench:capture-round', main);
