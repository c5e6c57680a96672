/**
 * A real capture round over SSH: two sshd hosts in namespaces joined by a VXLAN overlay
 * (VNI 4096, UDP 4789) like Docker's ingress network; tcpdump started and stopped over SSH in
 * the right namespace at every point, HTTP through the overlay, pcaps fetched over SFTP and
 * decoded. Runs as root; needs openssh-server, tcpdump, iproute2, util-linux (nsenter), dash.
 * The stop and listen scripts run for real: over SSH (root's bash) and under dash (Debian's sh).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFile } from 'child_process';
import {
  CaptureError,
  CaptureSession,
  listenPollScript,
  parsePacketCounts,
  stopScript,
  tcpdumpStartCommand,
} from '../../../verify/capture';
import type { CaptureFile, RequestRecord } from '../../../verify/model';
import { HostKeyPins } from '../../../verify/hostkeys';
import { SshPool } from '../../../verify/ssh';
import { generateTraffic } from '../../../verify/traffic';
import { SshdHarness } from '../../harness/sshd-harness';
import { buildVxlanLab, TASK_PORT, VNI, VXLAN_PORT, VxlanLab } from '../../harness/vxlan-lab';
import { descendants, pidAlive, run, stopTree } from '../../harness/procs';
import { decodeSyns, SynSighting } from './pcap-syns';

let h: SshdHarness;
let lab: VxlanLab;
let pool: SshPool;
let out: string;
let round = 0;
/** Remote work dir carrying the harness prefix, so leftovers are attributable. */
const rdir = (): string => `/tmp/${h.prefix}-cap${++round}`;

beforeAll(async () => {
  h = await SshdHarness.start({ hosts: 2 });
  lab = await buildVxlanLab(h);
  const pins = new HostKeyPins();
  pins.addKnownHosts(fs.readFileSync(h.knownHosts, 'utf8'), h.knownHosts);
  pool = new SshPool(
    h.hosts.map((x) => ({ node: x.name, host: x.ip })),
    { user: 'root', privateKey: h.userKey, pins, dial: h.dial, connectTimeoutMs: 20000, bootWaitMs: 30000 },
  );
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-capture-'));
});

/** Sessions a test started: stopped and removed in afterAll even when an assertion failed first. */
const sessions: CaptureSession[] = [];
async function started(p: Promise<CaptureSession>): Promise<CaptureSession> {
  const s = await p;
  sessions.push(s);
  return s;
}

afterAll(async () => {
  for (const s of sessions) {
    await s.stop().catch(() => undefined);
    await s.cleanup().catch(() => undefined);
  }
  await pool?.close();
  const prefix = h?.prefix;
  await h?.stop();
  if (!process.env.SWL_KEEP) fs.rmSync(out, { recursive: true, force: true });
  if (prefix) {
    expect(run(['ip', 'netns', 'list'])).not.toContain(prefix);
    expect(h.livePids()).toEqual([]);
    for (const x of h.hosts) expect(pidAlive(x.sshd.pid)).toBe(false);
  }
});

/** tcpdump processes started by this file's rounds (their files live under the harness prefix). */
function tcpdumpsUnder(): number[] {
  return h.strays().filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'tcpdump';
    } catch {
      return false;
    }
  });
}

test('tcpdump over SSH at every point; the SYN of each request is followed hop by hop', async () => {
  const session = await started(
    CaptureSession.start(pool, lab.points(), { listenTimeoutMs: 15000, remoteDir: rdir() }),
  );
  let requests: RequestRecord[];
  try {
    expect(tcpdumpsUnder()).toHaveLength(lab.points().length);
    requests = await generateTraffic(
      lab.hosts.map((x) => ({ entryNode: x.name, host: x.taskIp, port: TASK_PORT })),
      { count: 4, dial: lab.dialFromSbox, gapMs: 100, requestTimeoutMs: 5000, totalTimeoutMs: 30000 },
    );
  } finally {
    await session.stop();
  }
  const files: CaptureFile[] = await session.collect(out);
  // Stopped by PID and cleaned up on the nodes.
  expect(tcpdumpsUnder()).toEqual([]);
  for (const x of h.hosts) {
    const r = await pool.exec(x.name, `ls ${session.remoteDir}`, { check: false });
    expect(r.code).not.toBe(0);
  }
  // Names: <node>__<ns>__<iface>[__<container12>].pcap, every point collected.
  expect(files.map((f) => path.basename(f.file)).sort()).toEqual(
    [
      'h1__host__eth0.pcap',
      'h1__overlay__vxlan0.pcap',
      'h1__sbox__eth0.pcap',
      'h1__task__eth0__taskh1000000.pcap',
      'h2__host__eth0.pcap',
      'h2__overlay__vxlan0.pcap',
      'h2__task__eth0__taskh2000000.pcap',
    ].sort(),
  );
  expect(files.filter((f) => f.failed)).toEqual([]);
  // tcpdump's own count per point, read back by file name from one grep over the .err files.
  const counts = session.packetCounts();
  expect(Object.keys(counts).sort()).toEqual(files.map((f) => path.basename(f.file)).sort());
  for (const [f, n] of Object.entries(counts)) expect([f, Number.isInteger(n)]).toEqual([f, true]);
  expect(counts['h1__sbox__eth0.pcap']).toBeGreaterThanOrEqual(4);

  // Every request answered by the host it targeted, with a known client port.
  expect(requests.map((r) => [r.status, r.body])).toEqual(
    [0, 1, 2, 3].map((i) => [200, `Host IP is ${lab.hosts[i % 2].ip}`]),
  );
  for (const r of requests) expect(r.clientPort).toBeGreaterThan(1023);

  const at = (node: string, ns: string, iface: string): SynSighting[] => {
    const f = files.find((x) => x.node === node && x.ns === ns && x.iface === iface)!;
    return decodeSyns(f.file);
  };
  const sbox = at('h1', 'sbox', 'eth0');
  const h1nic = at('h1', 'host', 'eth0');
  const h2nic = at('h2', 'host', 'eth0');
  const h1vx = at('h1', 'overlay', 'vxlan0');
  const h2vx = at('h2', 'overlay', 'vxlan0');
  const h1task = at('h1', 'task', 'eth0');
  const h2task = at('h2', 'task', 'eth0');

  for (const r of requests) {
    const dst = lab.hosts[r.index % 2].taskIp;
    const syn = sbox.find((s) => s.srcPort === r.clientPort && s.dst === dst);
    expect(syn).toBeDefined();
    const same = (list: SynSighting[]): SynSighting | undefined =>
      list.find((s) => s.seq === syn!.seq && s.srcPort === r.clientPort);
    if (r.index % 2 === 1) {
      // Remote task: sbox -> h1 vxlan0 -> h1 NIC (VXLAN to h2) -> h2 NIC -> h2 vxlan0 -> task eth0.
      for (const [where, list] of [
        ['h1 vxlan0', h1vx],
        ['h2 vxlan0', h2vx],
        ['h2 task', h2task],
      ] as const) {
        expect([where, same(list)?.dst]).toEqual([where, dst]);
      }
      for (const nic of [h1nic, h2nic]) {
        const v = same(nic);
        expect(v).toMatchObject({
          vni: VNI,
          outerSrc: lab.hosts[0].ip,
          outerDst: lab.hosts[1].ip,
          outerDstPort: VXLAN_PORT,
          src: lab.sboxIp,
          dst,
        });
      }
      expect(same(h1task)).toBeUndefined();
    } else {
      // Local task: never leaves host 1, no VXLAN.
      expect(same(h1task)?.dst).toBe(dst);
      for (const list of [h1vx, h2vx, h1nic, h2nic, h2task]) expect(same(list)).toBeUndefined();
    }
  }
});

test("a point that cannot start names node, namespace and tcpdump's reason; nothing is left running", async () => {
  const pts = lab.points().slice(0, 2);
  const bad = {
    node: 'h2',
    ns: 'overlay' as const,
    nsPath: `/var/run/netns/${lab.hosts[1].overlayNs}`,
    iface: 'nosuch0',
    filter: 'tcp',
  };
  const err = await CaptureSession.start(pool, [...pts, bad], { listenTimeoutMs: 8000, remoteDir: rdir() }).catch(
    (e) => e,
  );
  expect(err).toBeInstanceOf(CaptureError);
  expect(err.message).toMatch(/^h2: capture overlay nosuch0: tcpdump exited: .*nosuch0/);
  expect(tcpdumpsUnder()).toEqual([]);
  // With onPointFailure=mark the round goes on and the engine gets a `failed` capture.
  const s = await started(
    CaptureSession.start(pool, [...pts, bad], { listenTimeoutMs: 8000, onPointFailure: 'mark', remoteDir: rdir() }),
  );
  const files = await s.collect(path.join(out, 'marked'));
  expect(files.find((f) => f.iface === 'nosuch0')?.failed).toMatch(/tcpdump exited/);
  expect(files.filter((f) => !f.failed)).toHaveLength(2);
  expect(tcpdumpsUnder()).toEqual([]);
});

test('an aborted round still stops every tcpdump and removes the remote files', async () => {
  const ac = new AbortController();
  const p2 = new SshPool(
    h.hosts.map((x) => ({ node: x.name, host: x.ip })),
    {
      user: 'root',
      privateKey: h.userKey,
      pins: (() => {
        const pins = new HostKeyPins();
        pins.addKnownHosts(fs.readFileSync(h.knownHosts, 'utf8'), h.knownHosts);
        return pins;
      })(),
      dial: h.dial,
      connectTimeoutMs: 20000,
      signal: ac.signal,
    },
  );
  try {
    const s = await started(CaptureSession.start(p2, lab.points(), { remoteDir: rdir() }));
    expect(tcpdumpsUnder().length).toBe(lab.points().length);
    ac.abort();
    await expect(p2.exec('h1', 'true')).rejects.toThrow(/aborted/);
    await s.stop();
    await s.cleanup();
    expect(tcpdumpsUnder()).toEqual([]);
    const r = await pool.exec('h1', `ls ${s.remoteDir}`, { check: false });
    expect(r.code).not.toBe(0);
  } finally {
    await p2.close();
  }
});

/** Run a script under dash on this machine (Debian's /bin/sh; the SSH tests run root's bash). */
function dash(script: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) =>
    execFile('dash', ['-c', script], (e, stdout, stderr) => resolve({ stdout, stderr, code: e ? Number(e.code) : 0 })),
  );
}

test('stop: a wrapper that holds SIGINT back is SIGKILLed with its tcpdump; reused and foreign PIDs live on', async () => {
  const dir = rdir();
  const lines: string[] = [];
  const session = await started(
    CaptureSession.start(pool, lab.points(), {
      remoteDir: dir,
      stopGraceMs: 1500,
      log: (n, step, d) => lines.push(`${n} ${step} ${d}`),
    }),
  );
  // Point 0 (h1 sbox): its `timeout` wrapper stopped, so the SIGINT stays pending and never reaches tcpdump.
  const held = Number((await pool.exec('h1', `cat ${dir}/0.pcap.pid`)).stdout.trim());
  const heldDump = descendants(held);
  expect(heldDump).toHaveLength(1);
  process.kill(held, 'SIGSTOP');
  // A pid file naming a process that is not ours (a PID reused by `sleep`), one naming a foreign
  // tcpdump whose command line holds our dir's name without its slash, and garbage.
  const sleeper = await h.spawn(h.hosts[0].ns, ['sleep', '120']);
  const foreignFile = `${dir}-foreign.pcap`;
  const foreign = await h.spawn(
    h.hosts[0].ns,
    ['tcpdump', '-n', '-Z', 'root', '-i', 'eth0', '-w', foreignFile, 'tcp port 1'],
    /listening on/,
  );
  try {
    await pool.exec(
      'h1',
      `echo ${sleeper.pid} > ${dir}/90.pcap.pid; echo ${foreign.pid} > ${dir}/91.pcap.pid; echo 'x1' > ${dir}/92.pcap.pid; echo 1 > ${dir}/93.pcap.pid`,
    );
    const t0 = Date.now();
    await session.stop();
    const ms = Date.now() - t0;
    // The grace is waited for in full (1.5 s) and not much more: one fork per tick, not per PID.
    expect(ms).toBeGreaterThanOrEqual(1500);
    expect(ms).toBeLessThan(6000);
    // The harness's hosts share one /tmp, so either node's stop may be the one that finds it.
    expect(lines.filter((l) => l.includes('SIGKILL'))).toEqual([
      expect.stringMatching(new RegExp(`^h[12] capture tcpdump needed SIGKILL: killed ${held}$`)),
    ]);
    expect([held, ...heldDump].filter(pidAlive)).toEqual([]);
    expect(pidAlive(sleeper.pid)).toBe(true);
    expect(pidAlive(foreign.pid)).toBe(true);
    expect(tcpdumpsUnder()).toEqual([foreign.pid]);
    // SIGKILLed: no count of its own; every other point stopped by SIGINT and reported one.
    const counts = session.packetCounts();
    expect(counts['h1__sbox__eth0.pcap']).toBeUndefined();
    const rest = Object.entries(counts).filter(([f]) => f !== 'h1__sbox__eth0.pcap');
    expect(rest).toHaveLength(lab.points().length - 1);
    for (const [f, n] of rest) expect([f, Number.isInteger(n)]).toEqual([f, true]);
    // Readable for SFTP: the killed capture's file is fetched too (packets written before the kill).
    const files = await session.collect(path.join(out, 'killed'));
    expect(files.filter((f) => f.failed)).toEqual([]);
  } finally {
    await stopTree(foreign.pid);
    await stopTree(sleeper.pid);
    fs.rmSync(foreignFile, { force: true });
  }
});

test('under dash: the listen poll and the stop script, with real tcpdump in the lab namespace', async () => {
  const dir = `/tmp/${h.prefix}-dash${++round}`;
  fs.mkdirSync(dir);
  try {
    const pts = lab.points().filter((p) => p.node === 'h1');
    const pids = [];
    for (const [i, p] of pts.entries()) {
      // The start line as the nodes run it, each capture in its namespace (nsenter) when it has one.
      const start = tcpdumpStartCommand(
        p.nsPath ? p : { ...p, nsPath: h.hosts[0].nsPath },
        `${dir}/${i}.pcap`,
        256,
        60,
      );
      pids.push(Number((await dash(start)).stdout.trim()));
    }
    // A point whose process died with an error, and one still starting (alive, nothing written yet).
    fs.writeFileSync(`${dir}/8.pcap.err`, 'tcpdump: nosuch0: No such device exists\n(SIOCGIFHWADDR: No such device)\n');
    const dead = { pid: 999999999, errFile: `${dir}/8.pcap.err` };
    const starting = { pid: process.pid, errFile: `${dir}/9.pcap.err` };
    const poll = pids.map((pid, i) => ({ pid, errFile: `${dir}/${i}.pcap.err` }));
    let answer: string[] = [];
    for (let k = 0; k < 50; k++) {
      answer = (await dash(listenPollScript([...poll, dead, starting]))).stdout.trimEnd().split('\n');
      if (answer.slice(0, poll.length).every((l) => l === 'L')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(answer).toEqual([
      ...poll.map(() => 'L'),
      'D tcpdump: nosuch0: No such device exists (SIOCGIFHWADDR: No such device)',
      'W',
    ]);
    const r = await dash(stopScript(dir, 3000));
    expect(r.stderr).toBe('');
    expect(pids.filter(pidAlive)).toEqual([]);
    const counts = parsePacketCounts(r.stdout);
    expect([...counts.keys()].sort()).toEqual(pts.map((_, i) => `${i}.pcap`).sort());
    expect(fs.statSync(`${dir}/0.pcap`).mode & 0o777).toBe(0o644);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
