/** lib/retry.ts on jest's fake clock: the waits it takes, when it gives up, what it rethrows, abort. */
import { retry, RetryError, sleep } from '../../lib/retry';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

/** A function failing `n` times, then answering 'ok'; records when each attempt ran. */
function flaky(n: number, err: (i: number) => unknown = (i) => new Error(`down ${i}`)) {
  const at: number[] = [];
  const fn = jest.fn(async (attempt: number) => {
    at.push(Date.now());
    if (attempt <= n) throw err(attempt);
    return 'ok';
  });
  return { fn, at };
}

/** Run `p` to the end, advancing the fake clock through every wait. */
async function settle<T>(p: Promise<T>): Promise<T> {
  const out = p.then(
    (v) => ({ v }),
    (e: unknown) => ({ e }),
  );
  await jest.runAllTimersAsync();
  const r = await out;
  if ('e' in r) throw r.e;
  return r.v;
}

test('backs off by factor up to the cap, then succeeds', async () => {
  const { fn, at } = flaky(4);
  const waits: number[] = [];
  const r = await settle(
    retry(fn, { delayMs: 100, factor: 2, maxDelayMs: 300, onRetry: (_e, _n, ms) => waits.push(ms) }),
  );
  expect(r).toBe('ok');
  expect(waits).toEqual([100, 200, 300, 300]);
  expect(at.map((t) => t - at[0])).toEqual([0, 100, 300, 600, 900]);
});

test('attempts bound it: RetryError with the count, the time and the last error', async () => {
  const { fn } = flaky(10);
  const e = await settle(retry(fn, { attempts: 3, delayMs: 50, factor: 1 })).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(RetryError);
  expect(e).toMatchObject({ attempts: 3, elapsedMs: 100 });
  expect((e as RetryError).message).toBe('failed after 3 attempt(s), 0.1 s: down 3');
  expect(((e as RetryError).lastError as Error).message).toBe('down 3');
  expect(fn).toHaveBeenCalledTimes(3);
});

test('the deadline bounds it and the last wait is cut to what is left', async () => {
  const { fn, at } = flaky(100);
  const e = (await settle(retry(fn, { deadlineMs: 1000, delayMs: 400, factor: 2 })).catch((x) => x)) as RetryError;
  // Attempts at 0, 400, 1000 (the 800 ms wait cut to the 600 ms left); then none left.
  expect(at.map((t) => t - at[0])).toEqual([0, 400, 1000]);
  expect(e.attempts).toBe(3);
  expect(e.elapsedMs).toBe(1000);
});

test('deadline 0 means one attempt', async () => {
  const { fn } = flaky(1);
  const e = (await settle(retry(fn, { deadlineMs: 0 })).catch((x) => x)) as RetryError;
  expect(e.attempts).toBe(1);
  expect(fn).toHaveBeenCalledTimes(1);
});

test('an error that is not retryable is thrown as it is, at once', async () => {
  class Fatal extends Error {}
  const { fn } = flaky(5, (i) => (i === 2 ? new Fatal('wrong host key') : new Error('refused')));
  const e = await settle(retry(fn, { delayMs: 10, retryable: (x) => !(x instanceof Fatal) })).catch((x) => x);
  expect(e).toBeInstanceOf(Fatal);
  expect(fn).toHaveBeenCalledTimes(2);
});

test('an abort during a wait stops it at once with the caller-chosen error', async () => {
  const ac = new AbortController();
  const { fn } = flaky(100);
  const p = retry(fn, { delayMs: 10_000, signal: ac.signal, abortError: () => new Error('aborted: connect to n1') });
  const out = p.catch((x: Error) => x);
  await jest.advanceTimersByTimeAsync(50);
  ac.abort();
  const e = await out;
  expect((e as Error).message).toBe('aborted: connect to n1');
  expect(fn).toHaveBeenCalledTimes(1);
  expect(jest.getTimerCount()).toBe(0);
});

test('an already aborted signal means no attempt at all', async () => {
  const ac = new AbortController();
  ac.abort();
  const { fn } = flaky(0);
  await expect(retry(fn, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  expect(fn).not.toHaveBeenCalled();
  await expect(sleep(10, ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
});
