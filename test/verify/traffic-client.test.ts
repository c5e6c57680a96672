/**
 * Client exchanges run in batches, one `docker exec` per path and client (each exec costs 1-2 s
 * on TCG): the command bounds every exchange with busybox `timeout` (busybox 1.35's `wget -T`
 * segfaults), and the markers split a real batch's output back into one result per request.
 */
import * as fs from 'fs';
import * as path from 'path';
import { exchangeCommand, splitExchanges } from '../../verify/traffic-client';

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
