/**
 * Client exchanges run in batches, one `docker exec` per path and client (each exec costs 1-2 s
 * on TCG): the command bounds every exchange with busybox `timeout` (busybox 1.35's `wget -T`
 * segfaults), and the markers split a real batch's output back into one result per request.
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

const real = fs.readFileSync(path.join(__dirname, '../fixtures/discovery/real-busybox-wget-batch.txt'), 'utf8');

test('one docker exec per batch, each exchange under busybox timeout, never wget -T', () => {
  const c = exchangeCommand('abc123', 'http', ['http://my-nginx:80/', 'http://10.10.0.47:80/'], 5);
  expect(c.startsWith('timeout 17 docker exec abc123 sh -c ')).toBe(true);
  expect(c).toContain('for t in http://my-nginx:80/ http://10.10.0.47:80/; do');
  expect(c).toContain('timeout 5 wget -q -O - "$t"');
  expect(c).not.toContain('-T');
  expect(exchangeCommand('abc123', 'dns', ['tasks.my-nginx'], 5)).toContain('timeout 5 nslookup "$t" 127.0.0.11');
});

test("a real batch splits into each request's exit code, body and error", () => {
  const r = splitExchanges(real, 3);
  expect(r.map((x) => x?.code)).toEqual([0, 1, 1]);
  expect(r[0]!.body).toMatch(/^<!DOCTYPE HTML>/);
  expect(r[1]!.stderr).toBe("wget: can't connect to remote host (127.0.0.1): Connection refused");
  expect(r[2]!.stderr).toContain('404 File not found');
});

test('a batch cut short leaves the unfinished requests without a result', () => {
  const cut = real.slice(0, real.lastIndexOf('@@swl-begin'));
  expect(splitExchanges(cut, 3).map((x) => x?.code)).toEqual([0, 1, undefined]);
});

describe('clientTraffic runs the nodes at once and attributes egress by its path token', () => {
  // A pool that runs each batch's script on this machine (GNU wget takes the same `-q -O -`), after a
  // per-node delay: node-a is the slowest, so its egress reaches the listener last.
  const delayMs: Record<string, number> = { 'node-a': 700, 'node-b': 0, 'node-c': 300 };
  const spans: Array<{ node: string; start: number; end: number }> = [];
  const pool = {
    exec: async (node: string, cmd: string) => {
      const start = Date.now();
      await new Promise((r) => setTimeout(r, delayMs[node]));
      const local = cmd.replace(/docker exec \S+ /, '');
      // Asynchronous: the listener answering the script lives in this very process.
      const r = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) =>
        execFile('bash', ['-c', local], (e, stdout, stderr) =>
          resolve({ stdout, stderr, code: e ? Number(e.code ?? -1) : 0 }),
        ),
      );
      spans.push({ node, start, end: Date.now() });
      return r;
    },
  } as unknown as SshPool;

  test('records in list order, one node never waits for another, each egress peer is its own', async () => {
    const listener = await startEgressListener('127.0.0.1');
    try {
      const port = listener.target.port;
      const client = (node: string) => ({ node, containerId: `c-${node}`, ip: '127.0.0.1' });
      const topo = {
        userOverlay: {
          service: { name: 'my-nginx', vip: '127.0.0.1', port },
          tasks: [{ ip: '127.0.0.1' }, { ip: '127.0.0.1' }],
          clients: ['node-a', 'node-b', 'node-c'].map(client),
        },
      } as unknown as Topology;
      const recs = await clientTraffic(pool, topo, { paths: ['task-to-task', 'egress'], timeoutS: 5 }, listener);
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
      // node-b's batch ran while node-a's first batch was still waiting; node-a's two batches ran in turn.
      const a = spans.filter((s) => s.node === 'node-a');
      const b = spans.find((s) => s.node === 'node-b')!;
      expect(b.end).toBeLessThan(a[0].end);
      expect(a[1].start).toBeGreaterThanOrEqual(a[0].end);
    } finally {
      await listener.close();
    }
  });
});
