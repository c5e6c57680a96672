/**
 * A test lab of real OpenSSH servers, each in its own network namespace.
 *
 * Layout (all names carry the jest PID and a counter, e.g. `swl-h1234-1-br`):
 *   <prefix>-br   "client" namespace with bridge br0 (10.77.0.1/24) and a UNIX-socket forwarder
 *   <prefix>-nK   host K: eth0 10.77.0.(10+K)/24 (veth to br0), sshd on port 22
 * The jest process stays in the root namespace and reaches the hosts only through the
 * forwarder (see netns-forwarder.js and `dial`), so no IP traffic to a private range ever
 * leaves the root namespace. Everything is started by PID and stopped by PID in `stop()`.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Duplex } from 'stream';
import { descendants, netnsList, nsRun, pidAlive, run, spawnInNs, stopTree, Tracked } from './procs';

export interface SshdHarnessProps {
  /** Number of sshd hosts (default 3). */
  readonly hosts?: number;
  /** Subnet prefix of the test bridge, /24 (default `10.77.0`). Lives only inside the namespaces. */
  readonly net3?: string;
  /** Extra sshd_config lines per host (e.g. `SetEnv` for replay tests). Default none. */
  readonly sshdExtra?: (host: string) => string[];
  /** sshd's MaxSessions (channels per connection). Default 64; sshd's own default is 10. */
  readonly maxSessions?: number;
}

export interface HarnessHost {
  /** Node name used as the SSH target name (`h1`, `h2`, ...). */
  readonly name: string;
  readonly ns: string;
  /** `/var/run/netns/<ns>`: what `nsenter --net=` takes. */
  readonly nsPath: string;
  readonly ip: string;
  readonly port: number;
  readonly hostKeyPub: string;
  readonly sshd: Tracked;
}

let counter = 0;
const live = new Set<SshdHarness>();

function keygen(file: string, comment: string): void {
  run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

export class SshdHarness {
  readonly prefix: string;
  readonly dir: string;
  readonly bridgeNs: string;
  readonly clientIp: string;
  readonly hosts: HarnessHost[] = [];
  /** The test user key (OpenSSH private key text). */
  readonly userKey: string;
  readonly knownHosts: string;
  readonly forwarderSock: string;
  private readonly namespaces: string[] = [];
  private readonly procs: Tracked[] = [];
  private stopped = false;

  private constructor(readonly props: Required<SshdHarnessProps>) {
    counter += 1;
    this.prefix = `swl-h${process.pid}-${counter}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-`));
    this.bridgeNs = `${this.prefix}-br`;
    this.clientIp = `${props.net3}.1`;
    this.forwarderSock = path.join(this.dir, 'fwd.sock');
    keygen(path.join(this.dir, 'id_ed25519'), 'swarm-lab-test');
    this.userKey = fs.readFileSync(path.join(this.dir, 'id_ed25519'), 'utf8');
    this.knownHosts = path.join(this.dir, 'known_hosts');
  }

  static async start(props: SshdHarnessProps = {}): Promise<SshdHarness> {
    const h = new SshdHarness({
      hosts: props.hosts ?? 3,
      net3: props.net3 ?? '10.77.0',
      sshdExtra: props.sshdExtra ?? (() => []),
      maxSessions: props.maxSessions ?? 64,
    });
    live.add(h);
    try {
      await h.build();
    } catch (e) {
      await h.stop();
      throw e;
    }
    return h;
  }

  private addNs(name: string): void {
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    nsRun(name, ['ip', 'link', 'set', 'lo', 'up']);
  }

  private async build(): Promise<void> {
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
    this.addNs(this.bridgeNs);
    nsRun(this.bridgeNs, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    nsRun(this.bridgeNs, ['ip', 'addr', 'add', `${this.clientIp}/24`, 'dev', 'br0']);
    nsRun(this.bridgeNs, ['ip', 'link', 'set', 'br0', 'up']);
    // A sink for the "unreachable host" test: 10.78.0.5 resolves (static neighbour) to a MAC nobody
    // owns on a veth whose peer has no address, so SYNs vanish silently, as with a host that is down.
    nsRun(this.bridgeNs, ['ip', 'link', 'add', 'sink0', 'type', 'veth', 'peer', 'name', 'sink1']);
    nsRun(this.bridgeNs, ['ip', 'addr', 'add', '10.78.0.1/24', 'dev', 'sink0']);
    nsRun(this.bridgeNs, ['ip', 'link', 'set', 'sink0', 'up']);
    nsRun(this.bridgeNs, ['ip', 'link', 'set', 'sink1', 'up']);
    nsRun(this.bridgeNs, [
      'ip',
      'neigh',
      'replace',
      '10.78.0.5',
      'lladdr',
      '02:00:00:00:00:05',
      'dev',
      'sink0',
      'nud',
      'permanent',
    ]);
    const known: string[] = [];
    for (let k = 1; k <= this.props.hosts; k++) {
      const name = `h${k}`;
      const ns = `${this.prefix}-n${k}`;
      const ip = `${this.props.net3}.${10 + k}`;
      this.addNs(ns);
      nsRun(this.bridgeNs, ['ip', 'link', 'add', `vh${k}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      nsRun(this.bridgeNs, ['ip', 'link', 'set', `vh${k}`, 'master', 'br0', 'up']);
      nsRun(ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      nsRun(ns, ['ip', 'link', 'set', 'eth0', 'up']);
      const hdir = path.join(this.dir, name);
      fs.mkdirSync(hdir);
      keygen(path.join(hdir, 'ssh_host_ed25519_key'), `root@${name}`);
      fs.copyFileSync(path.join(this.dir, 'id_ed25519.pub'), path.join(hdir, 'authorized_keys'));
      const config = [
        `Port 22`,
        `ListenAddress ${ip}`,
        `HostKey ${path.join(hdir, 'ssh_host_ed25519_key')}`,
        `AuthorizedKeysFile ${path.join(hdir, 'authorized_keys')}`,
        `PidFile ${path.join(hdir, 'sshd.pid')}`,
        'UsePAM no',
        'StrictModes no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        `MaxSessions ${this.props.maxSessions}`,
        'MaxStartups 64:30:128',
        'LogLevel ERROR',
        'Subsystem sftp internal-sftp',
        ...this.props.sshdExtra(name),
        '',
      ].join('\n');
      fs.writeFileSync(path.join(hdir, 'sshd_config'), config);
      // -D: stay in the foreground so the spawned PID is sshd itself; -e: log to stderr.
      const sshd = await spawnInNs(ns, ['/usr/sbin/sshd', '-D', '-e', '-f', path.join(hdir, 'sshd_config')], undefined);
      this.procs.push(sshd);
      const hostKeyPub = fs.readFileSync(path.join(hdir, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
      const [type, blob] = hostKeyPub.split(/\s+/);
      known.push(`${name},${ip} ${type} ${blob}`);
      this.hosts.push({ name, ns, nsPath: `/var/run/netns/${ns}`, ip, port: 22, hostKeyPub, sshd });
    }
    fs.writeFileSync(this.knownHosts, known.join('\n') + '\n');
    const fwd = await spawnInNs(
      this.bridgeNs,
      [process.execPath, path.join(__dirname, 'netns-forwarder.js'), this.forwarderSock],
      /ready/,
    );
    this.procs.push(fwd);
    await this.waitSshdListening();
  }

  /** sshd binds asynchronously after fork; poll each host's port through the forwarder (bounded). */
  private async waitSshdListening(): Promise<void> {
    for (const h of this.hosts) {
      const deadline = Date.now() + 10000;
      for (;;) {
        try {
          const { stream } = await this.dial(h.ip, h.port, 1000);
          stream.destroy();
          break;
        } catch (e) {
          if (Date.now() > deadline)
            throw new Error(`sshd on ${h.name} (${h.ip}) not listening: ${(e as Error).message}; ${h.sshd.stderr()}`, {
              cause: e,
            });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }

  /**
   * Open a TCP stream to host:port from inside the bridge namespace (via the forwarder).
   * Fits `SshPoolProps.dial` and the traffic generator's `dial`.
   */
  dial = (host: string, port: number, timeoutMs: number): Promise<{ stream: Duplex; localPort?: number }> =>
    dialVia(this.forwarderSock, host, port, timeoutMs);

  /** Start another forwarder inside `ns` (one of this harness's) and return a dialer through it. */
  async dialerIn(
    ns: string,
  ): Promise<(host: string, port: number, timeoutMs: number) => Promise<{ stream: Duplex; localPort?: number }>> {
    const sock = path.join(this.dir, `fwd-${ns.slice(this.prefix.length + 1)}.sock`);
    await this.spawn(ns, [process.execPath, path.join(__dirname, 'netns-forwarder.js'), sock], /ready/);
    return (host, port, timeoutMs) => dialVia(sock, host, port, timeoutMs);
  }

  /** Start a tracked helper process inside one of this harness's namespaces; stopped in `stop()`. */
  async spawn(ns: string, argv: string[], ready?: RegExp, timeoutMs?: number): Promise<Tracked> {
    if (!this.namespaces.includes(ns)) throw new Error(`netns ${ns} is not part of this harness`);
    const t = await spawnInNs(ns, argv, ready, timeoutMs);
    this.procs.push(t);
    return t;
  }

  /** Create an extra namespace owned (and removed) by this harness. */
  addNamespace(suffix: string): string {
    const name = `${this.prefix}-${suffix}`;
    this.addNs(name);
    return name;
  }

  /**
   * PIDs still alive of processes this harness started: its children and their descendants,
   * plus daemons started through it that re-parented away (background jobs over SSH, e.g.
   * tcpdump) found by this harness's unique prefix in their command line.
   */
  livePids(): number[] {
    const out = new Set<number>();
    for (const p of this.procs) {
      if (pidAlive(p.pid)) out.add(p.pid);
      for (const d of descendants(p.pid)) if (pidAlive(d)) out.add(d);
    }
    for (const d of this.strays()) out.add(d);
    return [...out];
  }

  /** Live processes whose command line mentions this harness's prefix (not ours when outside jest's tree). */
  strays(): number[] {
    const out: number[] = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (cmd.includes(this.prefix + '-') && pidAlive(Number(d))) out.push(Number(d));
      } catch {
        /* exited */
      }
    }
    return out;
  }

  /** Stop every process (by PID, with descendants) and delete every namespace. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.procs.reverse()) await stopTree(p.pid);
    // ip netns exec <prefix>-... helpers and background jobs left by a failed test.
    for (const pid of this.strays()) await stopTree(pid);
    for (const ns of this.namespaces.reverse()) {
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Namespaces with this harness's prefix that still exist (expected: none after stop). */
  leftoverNamespaces(): string[] {
    return netnsList().filter((n) => n.startsWith(`${this.prefix}-`));
  }
}

/** Connect through a netns forwarder's UNIX socket; the answer line carries the client port used inside. */
function dialVia(
  sockPath: string,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ stream: Duplex; localPort?: number }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(sockPath);
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect ${host}:${port}: timed out after ${timeoutMs} ms`));
    }, timeoutMs + 500);
    // The answer line is read in paused mode ('readable' + read()), never with a 'data' listener:
    // once a socket flows, bytes that came in the same chunk as the answer (e.g. an SSH server's
    // banner) and are unshifted back sit unseen until more data arrives, and a protocol where the
    // client waits for that banner stalls. Seen under CPU load in CI.
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = s.read() as Buffer | null) !== null) {
        head = Buffer.concat([head, chunk]);
        const nl = head.indexOf(10);
        if (nl < 0) continue;
        clearTimeout(timer);
        s.removeListener('readable', onReadable);
        s.removeListener('close', onClose);
        const line = head.subarray(0, nl).toString();
        const rest = head.subarray(nl + 1);
        const ok = /^OK(?: (\d+))?$/.exec(line);
        if (ok) {
          // Back in front of the buffer; the consumer's first 'data' listener (or the nextTick after
          // removing 'readable') switches the stream to flowing and delivers it first.
          if (rest.length) s.unshift(rest);
          resolve({ stream: s, ...(ok[1] ? { localPort: Number(ok[1]) } : {}) });
        } else {
          s.destroy();
          reject(new Error(`connect ${host}:${port}: ${line.replace(/^ERR\s*/, '')}`));
        }
        return;
      }
    };
    const onClose = (): void => {
      clearTimeout(timer);
      reject(new Error(`connect ${host}:${port}: forwarder closed the connection`));
    };
    s.on('readable', onReadable);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.once('close', onClose);
    s.write(`${host} ${port} ${timeoutMs}\n`);
  });
}

/** A unique id for temp names (e.g. remote pcap dirs). */
export function uniq(): string {
  return crypto.randomBytes(4).toString('hex');
}

// Last line of defence when a test process dies between start() and stop().
process.once('exit', () => {
  for (const h of live) {
    for (const pid of h.livePids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ns of netnsList().filter((n) => n.startsWith(`${h.prefix}-`))) {
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {
        /* ignore */
      }
    }
  }
});
