/**
 * e2e/host: a lab's private libvirt host comes up inside its own network
 * namespace, carries an isolated lab network there, survives a crash of its
 * daemons, and goes away without leaving a namespace, a process or a mount.
 *
 * Needs root and the Debian packages libvirt-daemon-system libvirt-clients
 * qemu-system-x86 dnsmasq-base iproute2 (no VM is booted). ~40 s.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { hostDown, hostUp } from '../../e2e/host';

const ROOT = path.resolve(__dirname, '../..');
const UP = path.join(ROOT, 'e2e/host/up.sh');
const DOWN = path.join(ROOT, 'e2e/host/down.sh');
const LAB = `t-host-${process.pid}`;
const NS = `swl-${LAB}`;
const DIR = path.join(ROOT, '.cache/host', LAB);

function run(cmd: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function mustRun(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.err}`);
  return r.out;
}

function netnsList(): string[] {
  return mustRun('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

function alive(pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`);
}

function pidOf(file: string): number {
  return Number(fs.readFileSync(path.join(DIR, file), 'utf8').trim());
}

/** Every live process whose command line names this lab's directory. */
function labProcesses(): string[] {
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(DIR + '/') && !cmd.includes('jest')) out.push(`${p} ${cmd}`);
    } catch {
      // process ended while listing
    }
  }
  return out;
}

function envOf(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of fs.readFileSync(path.join(DIR, 'env'), 'utf8').matchAll(/^export (\w+)='([^']*)'$/gm))
    env[m[1]] = m[2];
  return env;
}

function virsh(uri: string, ...args: string[]): string {
  return mustRun('virsh', ['-q', '-c', uri, ...args]);
}

function expectGone(): void {
  expect(netnsList()).not.toContain(NS);
  expect(labProcesses()).toEqual([]);
  expect(fs.existsSync(path.join(DIR, 'libvirtd.pid'))).toBe(false);
  expect(fs.existsSync(path.join(DIR, 'env'))).toBe(false);
  expect(mustRun('findmnt', ['-rn', '-o', 'TARGET'])).not.toContain(DIR);
}

beforeAll(() => {
  for (const tool of ['libvirtd', 'virtlogd', 'virsh', 'qemu-system-x86_64', 'dnsmasq']) {
    if (run('sh', ['-c', `command -v ${tool}`]).code !== 0) {
      throw new Error(
        `${tool} missing: apt-get install -y libvirt-daemon-system libvirt-clients qemu-system-x86 dnsmasq-base`,
      );
    }
  }
});

afterAll(() => {
  // Also after a failed test: nothing of this lab may outlive the suite.
  run(DOWN, [LAB, '--purge']);
});

test('up gives a private libvirtd in its own netns with a lab network there; down removes everything', async () => {
  const host = await hostUp({ lab: LAB });
  expect(host).toEqual({
    netns: NS,
    libvirtUri: `qemu:///system?socket=${DIR}/run/libvirt-sock`,
    pool: `swl-${LAB}`,
    hostDir: DIR,
  });
  const env = envOf();
  expect(env.SWARM_LAB_LIBVIRT_URI).toBe(host.libvirtUri);
  expect(env.LIBVIRT_DEFAULT_URI).toBe(host.libvirtUri);
  expect(netnsList()).toContain(NS);

  // The daemons run inside the lab's namespace, started with this lab's config.
  const libvirtd = pidOf('libvirtd.pid');
  const virtlogd = pidOf('virtlogd.pid');
  expect(mustRun('ip', ['netns', 'identify', String(libvirtd)]).trim()).toBe(NS);
  expect(mustRun('ip', ['netns', 'identify', String(virtlogd)]).trim()).toBe(NS);
  expect(fs.readFileSync(`/proc/${libvirtd}/cmdline`, 'utf8')).toContain(`${DIR}/etc/libvirtd.conf`);

  // Its storage pool is the lab's directory; nothing else is defined.
  const uri = env.SWARM_LAB_LIBVIRT_URI;
  expect(virsh(uri, 'pool-list', '--all', '--name').trim()).toBe(env.SWARM_LAB_POOL);
  expect(virsh(uri, 'pool-dumpxml', env.SWARM_LAB_POOL)).toContain(`<path>${DIR}/pool</path>`);
  expect(virsh(uri, 'net-list', '--all', '--name').trim()).toBe('');

  // An isolated lab network: its bridge and 10.211.55.1 exist in the netns only.
  const xml = path.join(DIR, 'net.xml');
  fs.writeFileSync(
    xml,
    `<network><name>${LAB}</name><bridge name='br-lab' stp='off'/><ip address='10.211.55.1' netmask='255.255.255.0'/></network>`,
  );
  virsh(uri, 'net-define', xml);
  virsh(uri, 'net-start', LAB);
  expect(mustRun('ip', ['-n', NS, '-4', '-o', 'addr', 'show', 'dev', 'br-lab'])).toContain('10.211.55.1/24');
  expect(run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'br-lab']).code).not.toBe(0);

  // The client address helper puts 10.211.55.2 on the lab bridge as the source.
  mustRun(path.join(ROOT, 'e2e/host/client-addr.sh'), [LAB, LAB]);
  expect(mustRun('ip', ['-n', NS, '-4', '-o', 'addr', 'show', 'dev', 'br-lab'])).toContain('10.211.55.2/24');
  expect(mustRun('ip', ['-n', NS, 'route', 'get', '10.211.55.10'])).toContain('src 10.211.55.2');

  // The system libvirt (and its /etc/libvirt) never saw this network.
  expect(fs.existsSync(`/etc/libvirt/qemu/networks/${LAB}.xml`)).toBe(false);

  // up again: the same healthy host, same daemon.
  expect(run(UP, [LAB]).code).toBe(0);
  expect(pidOf('libvirtd.pid')).toBe(libvirtd);

  const down = run(DOWN, [LAB]);
  expect(down.code).toBe(0);
  expect(down.err).toContain(`removed network ${LAB}`);
  expect(down.err).toContain(`removed netns ${NS}`);
  expect(alive(libvirtd)).toBe(false);
  expect(alive(virtlogd)).toBe(false);
  expectGone();
  // down again is a no-op; --purge also takes the logs.
  await hostDown({ lab: LAB });
  expectGone();
  expect(fs.existsSync(path.join(DIR, 'log/libvirtd.log'))).toBe(true);
  await hostDown({ lab: LAB, purge: true });
  expect(fs.existsSync(DIR)).toBe(false);
});

test('after a crash, up recovers and down ends the orphans; a stale pid file never hits a stranger', async () => {
  expect(run(UP, [LAB]).code).toBe(0);
  const uri = envOf().SWARM_LAB_LIBVIRT_URI;
  const xml = path.join(DIR, 'net.xml');
  fs.writeFileSync(
    xml,
    `<network><name>${LAB}</name><bridge name='br-lab' stp='off'/><ip address='10.211.55.1' netmask='255.255.255.0'/></network>`,
  );
  virsh(uri, 'net-define', xml);
  virsh(uri, 'net-start', LAB);
  const orphans = mustRun('ip', ['netns', 'pids', NS]).trim().split('\n').map(Number);
  const crashed = pidOf('libvirtd.pid');

  // libvirtd dies hard; virtlogd and dnsmasq stay behind in the namespace.
  process.kill(crashed, 'SIGKILL');
  for (let i = 0; i < 50 && alive(crashed); i++) await new Promise((r) => setTimeout(r, 100));
  expect(run(UP, [LAB]).code).toBe(0);
  const fresh = pidOf('libvirtd.pid');
  expect(fresh).not.toBe(crashed);
  for (const p of orphans) expect(alive(p)).toBe(false);
  expect(run('virsh', ['-q', '-c', uri, 'version']).code).toBe(0);

  // A pid file left pointing at a live foreign process (PID reuse): down must spare it.
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    expect(run(DOWN, [LAB]).code).toBe(0);
    expectGone();
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(path.join(DIR, 'libvirtd.pid'), `${stranger.pid}\n`);
    fs.writeFileSync(path.join(DIR, 'virtlogd.pid'), `${stranger.pid}\n`);
    expect(run(DOWN, [LAB]).code).toBe(0);
    expect(alive(stranger.pid!)).toBe(true);
    expect(fs.existsSync(path.join(DIR, 'libvirtd.pid'))).toBe(false);
  } finally {
    stranger.kill('SIGKILL');
  }
});

test('two labs run side by side with the same network name, and one env never steers the other', async () => {
  const other = `${LAB}-b`;
  const both = [LAB, other];
  try {
    // Started concurrently, like two CI jobs.
    const codes = await Promise.all(
      both.map(
        (l) =>
          new Promise<number>((resolve) => spawn(UP, [l], { stdio: 'ignore' }).on('exit', (c) => resolve(c ?? -1))),
      ),
    );
    expect(codes).toEqual([0, 0]);
    const hosts = await Promise.all(both.map((l) => hostUp({ lab: l })));
    expect(new Set(hosts.map((h) => h.libvirtUri)).size).toBe(2);
    for (const h of hosts) {
      const xml = path.join(h.hostDir, 'net.xml');
      fs.writeFileSync(
        xml,
        "<network><name>lab</name><bridge name='br-lab'/><ip address='10.211.55.1' netmask='255.255.255.0'/></network>",
      );
      virsh(h.libvirtUri, 'net-define', xml);
      virsh(h.libvirtUri, 'net-start', 'lab');
      expect(mustRun('ip', ['-n', h.netns, '-4', '-o', 'addr', 'show', 'dev', 'br-lab'])).toContain('10.211.55.1/24');
    }
    // Tear down the first with the second's exports in the environment.
    const exported = fs.readFileSync(path.join(hosts[1].hostDir, 'env'), 'utf8');
    const env = { ...process.env };
    for (const m of exported.matchAll(/^export (\w+)='([^']*)'$/gm)) env[m[1]] = m[2];
    const r = spawnSync(DOWN, [LAB], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(netnsList()).not.toContain(NS);
    expect(virsh(hosts[1].libvirtUri, 'net-list', '--name').trim()).toBe('lab');
  } finally {
    for (const l of both) run(DOWN, [l, '--purge']);
  }
  expect(netnsList()).not.toContain(`swl-${other}`);
});

test('up refuses a lab name libvirt objects cannot carry, without a retry', async () => {
  const r = run(UP, ['Bad_Name']);
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/lab name 'Bad_Name' must be/);
  const t0 = Date.now();
  await expect(hostUp({ lab: 'Bad_Name' })).rejects.toThrow(
    /e2e\/host\/up.sh Bad_Name failed \(exit 1\): .*lab name 'Bad_Name' must be/,
  );
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(netnsList()).not.toContain('swl-Bad_Name');
});
