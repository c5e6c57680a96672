/**
 * Client exchanges run in one entry per node and client container: nsenter into the container's
 * mount and network namespaces from its containerd init.pid, else `docker exec` (1.5-4.7 s of
 * start-up each on TCG): the command bounds every exchange with busybox `timeout` (busybox 1.35's `wget -T`
 * segfaults) and the whole batch with an outer `timeout`, and the markers split a real batch's
 * output back into one result per exchange, with its exit code, stderr and own duration.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFile } from 'child_process';
import type { Topology } from '../../verify/model';
import type { SshPool } from '../../verify/ssh';
import {
  clientTraffic,
  egressToken,
  exchangeCommand,
  splitExchanges,
  startEgressListener,
} from '../../verify/traffic-client';

const real = fs.readFileSync(path.join(__dirname, '../fixtures/discovery/real-busybox-client-batch.txt'), 'utf8');

test('one docker exec for mixed kinds, each exchange under busybox timeout, the batch under the sum of them', () => {
  const c = exchangeCommand(
    'abc123',
    [
      { kind: 'dns', target: 'my-nginx' },
      { kind: 'http', target: 'http://my-nginx:80/' },
      { kind: 'http', target: 'http://10.10.0.47:80/' },
    ],
    5,
  );
  // (5 s + 1 s) per exchange + 5 s of start-up; nsenter from containerd's init.pid, else docker exec.
  expect(c).toContain('/run/containerd/io.containerd.runtime.v2.task/moby/abc123/init.pid');
  expect(c).toContain('then exec timeout 23 nsenter -t "$p" -m -n sh -c "$s"; fi');
  expect(c.split('\n').pop()).toBe('exec timeout 23 docker exec abc123 sh -c "$s"');
  expect(c).toContain('timeout 5 nslookup "$3" 127.0.0.11');
  expect(c).toContain('timeout 5 wget -q -O - "$3"');
  expect(c).toContain('swl_x 0 dns my-nginx\nswl_x 1 http http://my-nginx:80/\nswl_x 2 http http://10.10.0.47:80/');
  // Durations from /proc/uptime with the `read` builtin, not `date +%N`.
  expect(c).toContain('read -r up _ < /proc/uptime');
  expect(c).not.toContain('date');
  expect(c).not.toContain('-T');
});

test("a real batch splits into each exchange's exit code, body, error and own duration", () => {
  const r = splitExchanges(real, 6);
  expect(r.map((x) => x?.code)).toEqual([0, 0, 0, 1, 1, 143]);
  expect(r[0]!.body).toMatch(/^Server:\s+127\.0\.0\.11\n[^]*Name:\tmy-nginx\nAddress: 10\.10\.0\.2\n/);
  expect(r[1]!.body.match(/Address: 10\.10\.0\.\d+/g)).toEqual(['Address: 10.10.0.3', 'Address: 10.10.0.4']);
  // The page has no final newline: its body still ends before the end marker.
  expect(r[2]!.body).toBe('Host IP is 10.10.0.3');
  expect(r[3]!.stderr).toBe("wget: can't connect to remote host (127.0.0.1): Connection refused");
  expect(r[4]!.stderr).toContain('404 File not found');
  // A listener that never answers: cut by `timeout 2` after its 2 s, measured in the container.
  expect(r[5]!.stderr).toBe('Terminated');
  expect(r[5]!.ms).toBeGreaterThanOrEqual(2000);
  expect(r[5]!.ms).toBeLessThan(2500);
  for (const x of r.slice(0, 5)) expect(x!.ms).toBeLessThan(500);
});

test('a batch cut short leaves the unfinished exchanges without a result', () => {
  const last = real.lastIndexOf('@@swl-begin');
  expect(splitExchanges(real.slice(0, last), 6).map((x) => x?.code)).toEqual([0, 0, 0, 1, 1, undefined]);
  // Cut inside an exchange: its begin marker and output without an end are no result either.
  const mid = real.slice(0, real.indexOf('@@swl-end 2 '));
  expect(splitExchanges(mid, 6).map((x) => x?.code)).toEqual([0, 0, undefined, undefined, undefined, undefined]);
});

describe('clientTraffic runs the nodes at once, one exec each, and attributes egress by its path token', () => {
  // A pool that runs each batch's script on this machine (GNU wget takes the same `-q -O -`), after a
  // per-node delay standing in for `docker exec` start-up: node-a is the slowest, so its egress
  // reaches the listener last.
  const delayMs: Record<string, number> = { 'node-a': 700, 'node-b': 0, 'node-c': 300 };
  const spans: Array<{ node: string; start: number; end: number; cmd: string }> = [];
  const pool = {
    exec: async (node: string, cmd: string) => {
      const start = Date.now();
      await new Promise((r) => setTimeout(r, delayMs[node]));
      // No containerd here: the command falls back to `docker exec`, run as the script itself.
      const local = cmd.replace(/docker exec \S+ /, '');
      // Asynchronous: the listener answering the script lives in this very process.
      const r = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) =>
        execFile('bash', ['-c', local], (e, stdout, stderr) =>
          resolve({ stdout, stderr, code: e ? Number(e.code ?? -1) : 0 }),
        ),
      );
      spans.push({ node, start, end: Date.now(), cmd });
      return r;
    },
  } as unknown as SshPool;
  const client = (node: string) => ({ node, containerId: `c-${node}`, ip: '127.0.0.1' });
  const topo = (port: number) =>
    ({
      userOverlay: {
        service: { name: 'my-nginx', vip: '127.0.0.1', port },
        tasks: [{ ip: '127.0.0.1' }, { ip: '127.0.0.1' }],
        clients: ['node-a', 'node-b', 'node-c'].map(client),
      },
    }) as unknown as Topology;

  test('records in list order, one exec per node, one node never waits for another, each egress peer is its own', async () => {
    const listener = await startEgressListener('127.0.0.1');
    const lines: string[] = [];
    try {
      const port = listener.target.port;
      const recs = await clientTraffic(
        pool,
        topo(port),
        { paths: ['task-to-task', 'egress'], timeoutS: 5, log: (n, l) => lines.push(`${n} ${l}`) },
        listener,
      );
      expect(recs.map((r) => `${r.index} ${r.path} ${r.entryNode} ${r.status ?? r.error}`)).toEqual([
        '0 task-to-task node-a 200',
        '1 task-to-task node-a 200',
        '2 egress node-a 200',
        '3 egress node-b 200',
        '4 egress node-c 200',
      ]);
      // The listener saw node-b first and node-a last; order would have mixed them up.
      expect(listener.peers.filter((q) => q.path.startsWith('/swl-egress-')).map((q) => q.path)).toEqual([
        `/${egressToken('node-b')}`,
        `/${egressToken('node-c')}`,
        `/${egressToken('node-a')}`,
      ]);
      for (const r of recs.filter((x) => x.path === 'egress')) {
        const seen = listener.peers.find((q) => q.path === `/${egressToken(r.entryNode)}`)!;
        expect(r.peer).toEqual({ address: seen.address, port: seen.port });
        expect(r.body).toBe(`swarm-lab egress ${seen.address}:${seen.port}`);
      }
      // One exec per node: node-a's task-to-task and egress exchanges ran in the same one, bounded
      // by (5 + 1) s per exchange + 5 s; node-b's ran while node-a's was still starting.
      expect(spans.map((x) => x.node).sort()).toEqual(['node-a', 'node-b', 'node-c']);
      const a = spans.find((x) => x.node === 'node-a')!;
      const b = spans.find((x) => x.node === 'node-b')!;
      expect(a.cmd).toContain('exec timeout 23 docker exec c-node-a sh -c "$s"');
      expect(b.end).toBeLessThan(a.end);
      // Each exchange has its own duration; the exec's start-up (700 ms here) is on node-a's first
      // record, so the per-path sums add up to the exec's wall time (the round's "traffic N s" lines).
      const onA = recs.filter((r) => r.entryNode === 'node-a');
      expect(onA.every((r) => typeof r.durationMs === 'number')).toBe(true);
      expect(onA[0].durationMs).toBeGreaterThanOrEqual(700);
      for (const r of onA.slice(1)) expect(r.durationMs).toBeLessThan(700);
      const sum = onA.reduce((x, r) => x + r.durationMs!, 0);
      expect(Math.abs(sum - (a.end - a.start))).toBeLessThan(100);
      // What the user sees: one line per exec and one per exchange with its own time.
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^node-a 3 exchanges in one entry into the container: \d+ ms \(\d+ ms beyond the exchanges, on the first\)$/,
        ),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^node-b egress GET http://127\\.0\\.0\\.1:${port}/swl-egress-node-b: ok \\(\\d+ ms\\) swarm-lab egress`,
          ),
        ),
      );
    } finally {
      await listener.close();
    }
  });

  test('an aborted round runs no exec and names every exchange as aborted', async () => {
    const before = spans.length;
    const ac = new AbortController();
    ac.abort();
    const recs = await clientTraffic(pool, topo(9), { paths: ['task-to-task', 'dns'], signal: ac.signal });
    expect(recs.map((r) => `${r.path} ${r.url} ${r.error}`)).toEqual([
      'task-to-task http://127.0.0.1:9/ aborted',
      'task-to-task http://127.0.0.1:9/ aborted',
      'dns dns:my-nginx aborted',
      'dns dns:tasks.my-nginx aborted',
    ]);
    expect(spans.length).toBe(before);
  });
});
