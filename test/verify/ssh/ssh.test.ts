/**
 * The SSH layer against real OpenSSH servers, each in its own network namespace
 * (test/harness/sshd-harness.ts). Runs as root (CI does); needs openssh-server, iproute2.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostKeyPins, loadLabPins } from '../../../verify/hostkeys';
import {
  AbortError,
  HostKeyError,
  RemoteCommandError,
  SshError,
  SshPool,
  SshPoolProps,
  wrapSudo,
} from '../../../verify/ssh';
import { SshdHarness } from '../../harness/sshd-harness';
import { pidAlive, run } from '../../harness/procs';

let h: SshdHarness;
const pools: SshPool[] = [];

function pool(over: Partial<SshPoolProps> = {}, targets = h.hosts.map((x) => ({ node: x.name, host: x.ip }))): SshPool {
  const pins = new HostKeyPins();
  pins.addKnownHosts(fs.readFileSync(h.knownHosts, 'utf8'), h.knownHosts);
  // Generous timeouts: CI and this machine may be loaded; the timeout tests set their own.
  const p = new SshPool(targets, {
    user: 'root',
    privateKey: h.userKey,
    pins,
    dial: h.dial,
    connectTimeoutMs: 20000,
    ...over,
  });
  pools.push(p);
  return p;
}

beforeAll(async () => {
  h = await SshdHarness.start({ hosts: 3 });
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  const prefix = h?.prefix;
  await h?.stop();
  // Nothing of the harness may survive: no namespace, no process.
  if (prefix) {
    expect(run(['ip', 'netns', 'list'])).not.toContain(prefix);
    for (const x of h.hosts) expect(pidAlive(x.sshd.pid)).toBe(false);
    expect(h.livePids()).toEqual([]);
  }
});

test('key auth with a pinned host key works and reaches the right host', async () => {
  const p = pool();
  const r = await p.exec('h2', 'ip -o -4 addr show dev eth0');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(h.hosts[1].ip);
  expect((await p.exec('h2', 'id -u')).stdout.trim()).toBe('0');
});

test('pins from a lab dir: known_hosts and host_keys/<node>/*.pub', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-pins-'));
  try {
    // Only the .pub file route: copy h1's key into host_keys/h1/.
    fs.mkdirSync(path.join(dir, 'host_keys', 'h1'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'host_keys', 'h1', 'ssh_host_ed25519_key.pub'), h.hosts[0].hostKeyPub + '\n');
    const pins = loadLabPins(path.join(dir, 'known_hosts'), path.join(dir, 'host_keys'), [
      { name: 'h1', ip: h.hosts[0].ip },
    ]);
    const p = new SshPool([{ node: 'h1', host: h.hosts[0].ip }], {
      user: 'root',
      privateKey: h.userKey,
      pins,
      dial: h.dial,
    });
    pools.push(p);
    expect((await p.exec('h1', 'hostname -I')).stdout).toContain(h.hosts[0].ip);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hashed known_hosts (ssh-keygen -H) pins as well', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-hashed-'));
  try {
    const kh = path.join(dir, 'known_hosts');
    fs.copyFileSync(h.knownHosts, kh);
    run(['ssh-keygen', '-q', '-H', '-f', kh]);
    const text = fs.readFileSync(kh, 'utf8');
    expect(text).toMatch(/^\|1\|/m);
    expect(text).not.toContain(h.hosts[2].ip);
    const pins = new HostKeyPins();
    pins.addKnownHosts(text, kh);
    expect((await pool({ pins }).exec('h3', 'echo hashed')).stdout).toBe('hashed\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong host key is refused, naming node and both fingerprints', async () => {
  const wrong = new HostKeyPins();
  // Pin h2's key for h1: h1 then presents a key that is not the pinned one.
  const [type, blob] = h.hosts[1].hostKeyPub.split(/\s+/);
  wrong.addKnownHosts(`h1 ${type} ${blob}\n`, 'test-known_hosts');
  const p = pool({ pins: wrong, bootWaitMs: 30000 });
  const t0 = Date.now();
  const err = await p.exec('h1', 'true').catch((e) => e);
  expect(err).toBeInstanceOf(HostKeyError);
  expect(err.message).toMatch(/^h1 \(10\.77\.0\.11\): HOST KEY MISMATCH/);
  expect(err.message).toMatch(/expected SHA256:\S+ .*seen SHA256:/);
  expect(err.expected[0]).not.toContain(err.seen);
  // Never retried: fails long before bootWaitMs.
  expect(Date.now() - t0).toBeLessThan(15000);
});

test('a node without any pin is refused unless the opt-out flag is set', async () => {
  const empty = new HostKeyPins();
  const err = await pool({ pins: empty })
    .exec('h3', 'true')
    .catch((e) => e);
  expect(err).toBeInstanceOf(HostKeyError);
  expect(err.message).toContain('no pinned host key');
  const r = await pool({ pins: empty, insecureAcceptAnyHostKey: true }).exec('h3', 'echo ok');
  expect(r.stdout).toBe('ok\n');
});

test('an unreachable host fails within its timeout with the host named', async () => {
  // 10.78.0.5 routes into a dummy device inside the client namespace: SYNs vanish.
  const pins = new HostKeyPins();
  pins.addKnownHosts(`ghost ${h.hosts[0].hostKeyPub}\n`, 'test');
  const p = pool({ pins, connectTimeoutMs: 1500, bootWaitMs: 3000, backoffInitialMs: 300 }, [
    { node: 'ghost', host: '10.78.0.5' },
  ]);
  const t0 = Date.now();
  const err = await p.exec('ghost', 'true').catch((e) => e);
  const took = Date.now() - t0;
  expect(err).toBeInstanceOf(SshError);
  expect(err.message).toMatch(/^ghost \(10\.78\.0\.5:22\): ssh connect failed after \d+ attempt\(s\)/);
  expect(err.message).toMatch(/timed out|timeout/);
  expect(took).toBeGreaterThanOrEqual(3000);
  expect(took).toBeLessThan(3000 + 1500 + 2500);
});

test('a failing command reports exit code, stderr, node and command', async () => {
  const p = pool();
  const err = await p.exec('h1', 'echo out; echo boom >&2; exit 3').catch((e) => e);
  expect(err).toBeInstanceOf(RemoteCommandError);
  expect(err.code).toBe(3);
  expect(err.stderr).toBe('boom\n');
  expect(err.stdout).toBe('out\n');
  expect(err.message).toBe('h1 (10.77.0.11): `echo out; echo boom >&2; exit 3` exited 3: boom');
  // check: false returns the result instead.
  const r = await p.exec('h1', 'exit 7', { check: false });
  expect(r.code).toBe(7);
});

test('a command over its timeout is killed and reported', async () => {
  const err = await pool()
    .exec('h1', 'sleep 30', { timeoutMs: 500 })
    .catch((e) => e);
  expect(err).toBeInstanceOf(RemoteCommandError);
  expect(err.message).toContain('timed out after 500 ms');
});

test('SFTP download works', async () => {
  const p = pool();
  const remote = `/tmp/${h.prefix}-sftp.bin`;
  await p.exec('h3', `head -c 300000 /dev/urandom > ${remote}`);
  const sum = (await p.exec('h3', `sha256sum ${remote}`)).stdout.split(' ')[0];
  const local = path.join(os.tmpdir(), `${h.prefix}-dl.bin`);
  try {
    await p.download('h3', remote, local);
    const { createHash } = await import('crypto');
    expect(createHash('sha256').update(fs.readFileSync(local)).digest('hex')).toBe(sum);
    const err = await p.download('h3', '/nonexistent/file', local).catch((e) => e);
    expect(err.message).toMatch(/^h3 \(10\.77\.0\.13\): SFTP download of \/nonexistent\/file failed/);
  } finally {
    await p.exec('h3', `rm -f ${remote}`);
    fs.rmSync(local, { force: true });
  }
});

test('many parallel commands across hosts share one connection per host', async () => {
  const p = pool();
  const jobs: Promise<string>[] = [];
  for (let i = 0; i < 30; i++) {
    const node = h.hosts[i % 3].name;
    // $PPID is the sshd session process: equal for every command on one host = one connection.
    jobs.push(p.exec(node, `echo ${node} ${i} $PPID; sleep 0.2`).then((r) => r.stdout.trim()));
  }
  const out = await Promise.all(jobs);
  expect(out).toHaveLength(30);
  out.forEach((line, i) => expect(line).toMatch(new RegExp(`^h${(i % 3) + 1} ${i} \\d+$`)));
  for (const node of ['h1', 'h2', 'h3']) {
    const sessions = new Set(out.filter((l) => l.startsWith(node + ' ')).map((l) => l.split(' ')[2]));
    expect(sessions.size).toBeLessThanOrEqual(2); // sshd may use a per-channel child; never one connection per command
  }
});

test("commands past sshd's MaxSessions wait for a channel instead of failing (the Docker 29 lab's Channel open failure)", async () => {
  const h10 = await SshdHarness.start({ hosts: 1, net3: '10.77.9', maxSessions: 10 });
  const pins = new HostKeyPins();
  pins.addKnownHosts(fs.readFileSync(h10.knownHosts, 'utf8'), h10.knownHosts);
  const poolOn = (over: Partial<SshPoolProps> = {}) =>
    new SshPool(
      h10.hosts.map((x) => ({ node: x.name, host: x.ip })),
      { user: 'root', privateKey: h10.userKey, pins, dial: h10.dial, connectTimeoutMs: 20000, ...over },
    );
  const burst = (p: SshPool, n: number, sleepS: number) =>
    Promise.allSettled(Array.from({ length: n }, (_, i) => p.exec('h1', `sleep ${sleepS}; echo ${i}`)));
  const outputs = (rs: Array<PromiseSettledResult<{ stdout: string }>>) =>
    rs.map((r) => (r.status === 'fulfilled' ? r.value.stdout.trim() : 'failed'));
  const bounded = poolOn();
  const unbounded = poolOn({ maxChannelsPerNode: 24 });
  try {
    expect(outputs(await burst(bounded, 24, 0.3))).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
    // Past the bound, a refused channel is opened again after 250, 500 and 1000 ms (the command never
    // started): two over the limit get in once the first ones end.
    expect(outputs(await burst(unbounded, 12, 0.5))).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    // Sessions held longer than those attempts meet sshd's refusal, named: the test can fail.
    const raw = await burst(unbounded, 14, 3);
    expect(
      raw.some((r) => r.status === 'rejected' && /could not start: .*Channel open failure/.test(String(r.reason))),
    ).toBe(true);
  } finally {
    await bounded.close();
    await unbounded.close();
    await h10.stop();
  }
});

test('abort stops everything and leaves no remote process behind', async () => {
  const ac = new AbortController();
  const p = pool({ signal: ac.signal });
  const marker = `swlabort${process.pid}`;
  const jobs = h.hosts.map((x) => p.exec(x.name, `exec -a ${marker} sleep 120`, { timeoutMs: 60000 }).catch((e) => e));
  // Wait until all three sleeps run.
  const deadline = Date.now() + 10000;
  const running = (): number[] =>
    h.livePids().filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(marker);
      } catch {
        return false;
      }
    });
  while (running().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(running()).toHaveLength(3);
  const t0 = Date.now();
  ac.abort();
  const errs = await Promise.all(jobs);
  // Far below the 60 s command timeout: abort does not wait for it (loose bound for a loaded CI box).
  expect(Date.now() - t0).toBeLessThan(5000);
  for (const e of errs) expect(e).toBeInstanceOf(AbortError);
  // New work is refused while aborted.
  await expect(p.exec('h1', 'true')).rejects.toBeInstanceOf(AbortError);
  await p.close();
  const gone = Date.now() + 5000;
  while (running().length && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  expect(running()).toEqual([]);
});

test('non-root users get commands through sudo -n', () => {
  expect(wrapSudo('root', 'iptables-save')).toBe('iptables-save');
  expect(wrapSudo('centos', "nsenter --net=/x sh -c 'ip a'")).toBe(
    `sudo -n sh -c 'nsenter --net=/x sh -c '\\''ip a'\\'''`,
  );
});
