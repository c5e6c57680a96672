/**
 * The one retry/backoff helper: SSH connect while nodes boot, waiting for tcpdump to listen, the
 * lab host scripts. Attempts and/or a deadline bound it, the wait grows by `factor` up to `maxDelayMs`
 * (never past the deadline), an AbortSignal stops it at once, and `retryable` says which errors are
 * worth another attempt (the rest are thrown as they are). Hand-written here rather than a library:
 * it is ~60 lines, needs the deadline and abort semantics exactly as below, and adds no dependency.
 */

export interface RetryOptions {
  /** Most attempts in all (>= 1). Default: unbounded (then `deadlineMs` bounds it). */
  readonly attempts?: number;
  /** Stop retrying this long after the first attempt started, ms. Default: none. */
  readonly deadlineMs?: number;
  /** Wait before the second attempt, ms. Default 500. */
  readonly delayMs?: number;
  /** Each wait is the previous one times this. Default 2 (1: fixed interval). */
  readonly factor?: number;
  /** Cap on one wait, ms. Default 8000. */
  readonly maxDelayMs?: number;
  /** Stops waiting and attempting; the error is `abortError()`. */
  readonly signal?: AbortSignal;
  /** The error thrown when `signal` aborts. Default: an Error named AbortError. */
  readonly abortError?: () => Error;
  /** Which errors get another attempt. Default: every error. */
  readonly retryable?: (err: unknown) => boolean;
  /** Called before each wait (progress lines): the error, the attempt that failed (1-based), the wait. */
  readonly onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
}

/** Attempts or deadline used up on a retryable error: how many attempts, how long, and the last error. */
export class RetryError extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly lastError: unknown,
  ) {
    super(
      `failed after ${attempts} attempt(s), ${(elapsedMs / 1000).toFixed(1)} s: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      { cause: lastError },
    );
    this.name = 'RetryError';
  }
}

function defaultAbort(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/** Sleep `ms`, rejecting with `abortError()` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, abortError: () => Error = defaultAbort): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Call `fn` (given the attempt number, 1-based) until it resolves. A non-retryable error is thrown as is;
 * running out of attempts or time throws a RetryError carrying the last error.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const abortError = o.abortError ?? defaultAbort;
  const start = Date.now();
  const factor = o.factor ?? 2;
  const maxDelay = o.maxDelayMs ?? 8000;
  let wait = o.delayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw abortError();
    try {
      return await fn(attempt);
    } catch (e) {
      if (o.signal?.aborted) throw abortError();
      if (o.retryable && !o.retryable(e)) throw e;
      const left = o.deadlineMs === undefined ? Infinity : start + o.deadlineMs - Date.now();
      if (left <= 0 || (o.attempts !== undefined && attempt >= o.attempts))
        throw new RetryError(attempt, Date.now() - start, e);
      const ms = Math.min(wait, left);
      o.onRetry?.(e, attempt, ms);
      await sleep(ms, o.signal, abortError);
      wait = Math.min(wait * factor, maxDelay);
    }
  }
}
