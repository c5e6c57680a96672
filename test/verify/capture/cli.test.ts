/**
 * `verify/cli.ts`: argument parsing and error lines in process; the real CLI as a child process
 * run INSIDE the harness's client namespace (`ip netns exec`, as on a lab host) against a real
 * sshd: one-line errors naming node/step/fix with exit code 2, and Ctrl-C (SIGINT) ending a
 * waiting run with exit 130 and nothing left behind.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errorLine, exitCodeOf, parseArgs, USAGE, VERIFY_CLI } from '../../../verify/cli';
import { EXIT, SwarmLabError } from '../../../lib/exit';
import { RoundStepError } from '../../../verify/round';
import { NodesError, SshError } from '../../../verify/ssh';
import { SshdHarness } from '../../harness/sshd-harness';
import { pidAlive, run, stopTree } from '../../harness/procs';

const ROOT = path.resolve(__dirname, '../../..');

describe('arguments and error lines', () => {
  test('defaults and options', () => {
    expect(parseArgs([])).toMatchObject({
      requests: 6,
      sbox: true,
      insecureAcceptAnyHostKey: false,
      bootWaitS: 180,
      connectTimeoutS: 10,
    });
    expect(
      parseArgs([
        '--requests',
        '9',
        '--entry',
        'centos7-18',
        '--no-sbox',
        '--insecure-accept-any-host-key',
        '--boot-wait',
        '0',
      ]),
    ).toMatchObject({
      requests: 9,
      entry: 'centos7-18',
      sbox: false,
      insecureAcceptAnyHostKey: true,
      bootWaitS: 0,
    });
    expect(() => parseArgs(['--requests', '0'])).toThrow('--requests needs an integer 1-1000, got "0"');
    expect(() => parseArgs(['--entry'])).toThrow("Option '--entry <value>' argument missing");
    expect(parseArgs(['--paths', 'ingress, dns', '--out', '/tmp/r']).paths).toEqual(['ingress', 'dns']);
    expect(parseArgs(['--help']).help).toBe(true);
  });
  test('a bad flag is one usage line (exit 3) pointing at --help', () => {
    let err: unknown;
    try {
      parseArgs(['--bogus']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwarmLabError);
    expect((err as SwarmLabError).exitCode).toBe(EXIT.usage);
    expect(errorLine(err)).toBe("verify: Unknown option '--bogus'; fix: npm run verify -- --help lists the options");
  });
  test('--help is generated from the option table: every flag, its placeholder and default', () => {
    expect(USAGE).toMatch(/^usage: npm run verify -- \[options\]\n/);
    for (const name of Object.keys(VERIFY_CLI.options)) expect(USAGE).toContain(`--${name}`);
    expect(USAGE).toMatch(/--requests <n> +HTTP requests in the round \(max 1000\) \(default 6\)/);
    expect(USAGE).toMatch(/--boot-wait <s> +keep retrying SSH while nodes boot, seconds \(default 180\)/);
  });
  test('an error becomes one line with the step and the node', () => {
    const e = new RoundStepError(
      'connect',
      new SshError('centos7-18', '10.211.55.18', 'centos7-18 (10.211.55.18:22): ssh connect failed after 3 attempt(s)'),
    );
    expect(errorLine(e)).toBe(
      'verify failed at connect: centos7-18 (10.211.55.18:22): ssh connect failed after 3 attempt(s)',
    );
    // Several nodes at once: one AggregateError, every failing node on the one line.
    const many = new NodesError(
      [
        new SshError('centos7-10', 'x', 'centos7-10 (x): `tcpdump` exited 127'),
        new SshError('centos7-22', 'y', 'centos7-22 (y): `tcpdump` exited 127'),
      ],
      3,
    );
    expect(errorLine(new RoundStepError('capture', many))).toBe(
      'verify failed at capture: 2 of 3 nodes failed: centos7-10 (x): `tcpdump` exited 127; centos7-22 (y): `tcpdump` exited 127',
    );
    expect(exitCodeOf(many)).toBe(EXIT.inconclusive);
    // Parts that carry a lib/exit code give the worst of them.
    const tools = new NodesError(
      [
        new SwarmLabError(EXIT.env, 'centos7-10: no tcpdump', { fix: 'apt-get install tcpdump' }),
        new SshError('centos7-22', 'y', 'centos7-22 (y): `tcpdump` exited 127'),
      ],
      3,
    );
    expect(exitCodeOf(tools)).toBe(EXIT.env);
    expect(errorLine(tools)).toMatch(/^verify failed: 2 of 3 nodes failed: .*centos7-10.*; .*centos7-22/);
  });
});

describe('the CLI in a lab namespace', () => {
  let h: SshdHarness;
  let dir: string;
  const children: ChildProcess[] = [];

  /** A lab whose node `node-a` is harness host h1; `labDir` holds the test key and known_hosts. */
  function writeLab(name: string, nodes: Array<{ name: string; ip: string }>, knownHosts: string): string {
    const labDir = path.join(dir, name);
    fs.mkdirSync(labDir, { recursive: true });
    fs.writeFileSync(path.join(labDir, 'id_ed25519'), h.userKey, { mode: 0o600 });
    fs.writeFileSync(path.join(labDir, 'known_hosts'), knownHosts);
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        name,
        image: 'debian12-docker20',
        labDir,
        network: { cidr: '10.77.0.0/24', gateway: '10.77.0.254', clientIp: '10.77.0.1' },
        nodes: nodes.map((n, i) => ({ ...n, role: i === 0 ? 'manager' : 'worker' })),
      }),
    );
    return file;
  }

  /** Run the CLI inside the harness's client namespace; resolves with exit code and output. */
  function cli(
    labFile: string,
    args: string[],
    onStderr?: (text: string, child: ChildProcess) => void,
  ): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
    const t0 = Date.now();
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        h.bridgeNs,
        process.execPath,
        '-r',
        'ts-node/register/transpile-only',
        'verify/cli.ts',
        ...args,
      ],
      {
        cwd: ROOT,
        // The harness hosts are no libvirt lab: skip the lab-state gate (tested in test/stacks/lab-lifecycle).
        env: { ...process.env, SWARM_LAB_FILE: labFile, SWARM_LAB_VERIFY_ANY_STATE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })));
  }

  beforeAll(async () => {
    h = await SshdHarness.start({ hosts: 1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `${h.prefix}-cli-`));
  });

  afterAll(async () => {
    for (const c of children) if (c.pid && pidAlive(c.pid)) await stopTree(c.pid);
    const prefix = h?.prefix;
    await h?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    if (prefix) {
      expect(run(['ip', 'netns', 'list'])).not.toContain(prefix);
      expect(h.livePids()).toEqual([]);
    }
  });

  test('connects with the pinned key, then stops at discovery with one line naming node, problem and fix', async () => {
    const [type, blob] = h.hosts[0].hostKeyPub.split(/\s+/);
    const lab = writeLab('cli-a', [{ name: 'node-a', ip: h.hosts[0].ip }], `node-a,${h.hosts[0].ip} ${type} ${blob}\n`);
    // The harness host has no docker: discovery must stop with one clear line.
    const r = await cli(lab, ['--boot-wait', '20', '--connect-timeout', '20']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    // Which of the two depends on whether this machine has a docker CLI (without a daemon) or none.
    expect(lines[lines.length - 1]).toMatch(
      /^verify failed at discover: node-a: (missing docker; install on the node: Debian `apt-get install -y docker\.io`, CentOS `yum install -y docker-ce`|docker: the Docker daemon is not running \(.*\); start it \(systemctl start docker\) or re-run the Ansible provisioning)$/,
    );
    expect(r.stderr).toMatch(/\[\+\s*[\d.]+s\] node-a\s+connect\s+ssh ready as root \(\d+ ms\)/);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  test('a wrong pinned host key stops the run at connect, naming node and fingerprints', async () => {
    const other = fs.readFileSync(path.join(h.dir, 'id_ed25519.pub'), 'utf8').split(/\s+/); // some other ed25519 key
    const lab = writeLab('cli-b', [{ name: 'node-a', ip: h.hosts[0].ip }], `node-a ${other[0]} ${other[1]}\n`);
    const r = await cli(lab, ['--boot-wait', '60', '--connect-timeout', '20']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^verify failed at connect: node-a \(10\.77\.0\.11\): HOST KEY MISMATCH, refusing to connect: expected SHA256:\S+ \(.*known_hosts:1\), seen SHA256:\S+; /,
    );
  });

  test('Ctrl-C while waiting for a booting node exits 130 at once, with one line', async () => {
    const [type, blob] = h.hosts[0].hostKeyPub.split(/\s+/);
    // 10.78.0.5 never answers (see the harness's sink); the CLI keeps retrying for --boot-wait.
    const lab = writeLab(
      'cli-c',
      [
        { name: 'node-a', ip: h.hosts[0].ip },
        { name: 'node-b', ip: '10.77.0.99' },
      ],
      `node-a ${type} ${blob}\nnode-b ${type} ${blob}\n`,
    );
    let sent = 0;
    const r = await cli(lab, ['--boot-wait', '120', '--connect-timeout', '2'], (err, child) => {
      if (!sent && /node-b\s+connect\s+ssh not ready/.test(err)) {
        sent = Date.now();
        child.kill('SIGINT');
      }
    });
    expect(sent).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10000);
    expect(r.stderr).toContain('interrupt stopping captures and closing connections');
    expect(r.stderr.trim().split('\n').pop()).toBe('verify: interrupted; captures stopped and removed from the nodes');
  });
});
