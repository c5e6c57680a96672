/**
 * A real capture round over SSH: two sshd hosts in namespaces joined by a VXLAN overlay
 * (VNI 4096, UDP 4789) like Docker's ingress network; tcpdump started and stopped over SSH in
 * the right namespace at every point, HTTP through the overlay, pcaps fetched over SFTP and
 * decoded. Runs as root; needs openssh-server, tcpdump, iproute2, util-linux (nsenter).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CaptureError, CaptureSession } from '../../../verify/capture';
import type { CaptureFile, RequestRecord } from '../../../verify/model';
import { HostKeyPins } from '../../../verify/hostkeys';
import { SshPool } from '../../../verify/ssh';
import { generateTraffic } from '../../../verify/traffic';
import { SshdHarness } from '../../harness/sshd-harness';
import { buildVxlanLab, TASK_PORT, VNI, VXLAN_PORT, VxlanLab } from '../../harness/vxlan-lab';
import { pidAlive, run } from '../../harness/procs';
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
