/**
 * SSH to the lab nodes on `ssh2`: key auth as the lab user, host keys pinned (hostkeys.ts),
 * connect with timeout and bounded retry while a node boots, exec with exit code and stderr,
 * SFTP download, one connection per node (a pool), parallel across nodes, abortable, closable.
 */
import { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type { Duplex } from 'stream';
import { retry, RetryError } from '../lib/retry';
import { fingerprint, HostKeyPins } from './hostkeys';

export interface SshTarget {
  /** Lab node name; every error names it. */
  readonly node: string;
  /** Address to connect to. */
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
}

/** Opens the TCP stream to a node; lets callers connect from elsewhere (e.g. inside a namespace). */
export type Dialer = (host: string, port: number, timeoutMs: number) => Promise<{ stream: Duplex; localPort?: number }>;

export interface SshPoolProps {
  /** Login user; anything but root gets commands wrapped in `sudo -n`. */
  readonly user: string;
  /** OpenSSH private key text (the lab's id_ed25519). */
  readonly privateKey: string | Buffer;
  /** Pinned host keys; a node without a pin is refused unless `insecureAcceptAnyHostKey`. */
  readonly pins: HostKeyPins;
  /** Accept any host key (for a user's own hosts only). Default false. */
  readonly insecureAcceptAnyHostKey?: boolean;
  /** Timeout of one connection attempt (TCP + SSH handshake + auth), ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Keep retrying a node that does not answer (booting) for this long in total, ms. Default 0: one attempt. */
  readonly bootWaitMs?: number;
  /** Retry backoff: first wait and cap, ms. Default 500 / 8000 (doubling). */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Aborts connects and running commands (remote commands get SIGKILL via the SSH channel). */
  readonly signal?: AbortSignal;
  /** How to open the TCP stream; default: ssh2 connects directly to host:port. */
  readonly dial?: Dialer;
  /** Progress lines (connect attempts, retries). */
  readonly log?: (line: string) => void;
  /** Sees every finished command (node, command as given, result): the CLI's transcript of what discovery read. */
  readonly onExec?: (node: string, command: string, result: ExecResult) => void;
  /**
   * Commands open at once on one node's connection; more wait their turn. Default 8: sshd refuses a
   * channel past its MaxSessions (10 by default) with "Channel open failure", as the Docker 29 lab did
   * once discovery and snapshots ran side by side.
   */
  readonly maxChannelsPerNode?: number;
}

export interface ExecOptions {
  /** Throw `RemoteCommandError` on a non-zero exit. Default true. */
  readonly check?: boolean;
  /** Kill the remote command and fail after this long, ms. Default 60000. */
  readonly timeoutMs?: number;
  /** Run even when the pool's signal is aborted (cleanup commands). Default false. */
  readonly ignoreAbort?: boolean;
  /** Wrap in `sudo -n` when the user is not root. Default true. */
  readonly sudo?: boolean;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
  /** Signal name when the remote command was killed by one. */
  readonly signal?: string;
}

/** Base of every SSH-layer error: names node and host. */
export class SshError extends Error {
  constructor(
    readonly node: string,
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

/** The node presented a host key that is not the pinned one (or no pin exists). Never retried. */
export class HostKeyError extends SshError {
  constructor(
    node: string,
    host: string,
    readonly expected: string[],
    readonly seen: string,
    detail: string,
  ) {
    super(node, host, detail);
    this.name = 'HostKeyError';
  }
}

export class RemoteCommandError extends SshError {
  constructor(
    node: string,
    host: string,
    readonly command: string,
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
    reason: string,
  ) {
    super(node, host, `${node} (${host}): \`${command}\` ${reason}${stderr.trim() ? `: ${lastLines(stderr, 5)}` : ''}`);
    this.name = 'RemoteCommandError';
  }
}

/** Several nodes failed at once; lib/exit's describeError prints `<n> of <m> nodes failed: <each error>`. */
export class NodesError extends AggregateError {
  constructor(errors: readonly unknown[], total: number) {
    super(errors, `${errors.length} of ${total} nodes failed`);
    this.name = 'NodesError';
  }
}

export class AbortError extends Error {
  constructor(what: string) {
    super(`aborted: ${what}`);
    this.name = 'AbortError';
  }
}

function lastLines(s: string, n: number): string {
  return s.trim().split('\n').slice(-n).join(' | ');
}

/**
 * POSIX sh (dash, bash, busybox ash) function `swl_now`: `$up` = uptime in centiseconds from
 * /proc/uptime (two decimals), with the `read` builtin only, no fork: the capture stop's grace and
 * the client exchanges' own durations are measured with it.
 */
export const SH_NOW_FUNCTION = 'swl_now() { read -r up _ < /proc/uptime; up=${up%.*}${up#*.}; }';

/** Quote one word for a POSIX shell. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line sent for `command` as `user`: root runs it as is, others through `sudo -n sh -c`. */
export function wrapSudo(user: string, command: string): string {
  return user === 'root' ? command : `sudo -n sh -c ${shQuote(command)}`;
}

/** ssh2 algorithm names that make the server present a key of the pinned type. */
function hostKeyAlgorithms(types: string[]): string[] {
  const out: string[] = [];
  for (const t of types) {
    if (t === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else out.push(t);
  }
  return [...new Set(out)];
}

const MAX_OUTPUT = 32 * 1024 * 1024;

interface Conn {
  readonly target: SshTarget;
  readonly client: Client;
  sftp?: Promise<SFTPWrapper>;
  closed: boolean;
}

/** One SSH connection per node, opened on first use and reused; `close()` ends them all. */
/**
 * Open an exec channel. sshd refuses one past its MaxSessions, or while it is short of processes,
 * with "Channel open failure" (seen on the Docker 29 lab under a busy round): the command never
 * started, so a few more attempts after a short wait are safe; any other error is final.
 */
function openExec(client: Client, line: string): Promise<ClientChannel> {
  return retry(
    () =>
      new Promise<ClientChannel>((resolve, reject) =>
        client.exec(line, (err, stream) => (err ? reject(err) : resolve(stream))),
      ),
    { attempts: 4, delayMs: 250, factor: 2, retryable: (e) => /Channel open failure/i.test((e as Error).message) },
  ).catch((e: unknown) => {
    throw e instanceof RetryError ? e.lastError : e;
  });
}

export class SshPool {
  private readonly targets = new Map<string, SshTarget>();
  private readonly conns = new Map<string, Promise<Conn>>();
  private readonly channels = new Set<ClientChannel>();
  /** Per node: channels open now, and the commands waiting for one. */
  private readonly slots = new Map<string, { open: number; waiting: Array<() => void> }>();
  private closed = false;
  private readonly p: Required<Omit<SshPoolProps, 'signal' | 'dial' | 'log' | 'onExec'>> &
    Pick<SshPoolProps, 'signal' | 'dial' | 'log' | 'onExec'>;

  constructor(targets: readonly SshTarget[], props: SshPoolProps) {
    for (const t of targets) this.targets.set(t.node, t);
    this.p = {
      insecureAcceptAnyHostKey: false,
      connectTimeoutMs: 10000,
      bootWaitMs: 0,
      backoffInitialMs: 500,
      backoffMaxMs: 8000,
      maxChannelsPerNode: 8,
      ...props,
    };
    this.p.signal?.addEventListener('abort', () => this.killChannels(), { once: true });
  }

  get user(): string {
    return this.p.user;
  }

  get nodes(): string[] {
    return [...this.targets.keys()];
  }

  target(node: string): SshTarget {
    const t = this.targets.get(node);
    if (!t) throw new Error(`unknown node "${node}"; known: ${this.nodes.join(', ')}`);
    return t;
  }

  /** Connect (or reuse the connection) to a node. */
  connect(node: string): Promise<Conn> {
    if (this.closed) return Promise.reject(new Error(`ssh pool closed; cannot connect to ${node}`));
    let c = this.conns.get(node);
    if (!c) {
      c = this.connectWithRetry(this.target(node));
      this.conns.set(node, c);
      // A failed connect must not poison later calls (e.g. after a reboot).
      c.catch(() => this.conns.get(node) === c && this.conns.delete(node));
    }
    return c;
  }

  private checkAbort(what: string): void {
    if (this.p.signal?.aborted) throw new AbortError(what);
  }

  private async connectWithRetry(t: SshTarget): Promise<Conn> {
    const what = `connect to ${t.node}`;
    try {
      return await retry(() => this.connectOnce(t), {
        deadlineMs: this.p.bootWaitMs,
        delayMs: this.p.backoffInitialMs,
        maxDelayMs: this.p.backoffMaxMs,
        signal: this.p.signal,
        abortError: () => new AbortError(what),
        // A wrong host key stays wrong: never retried.
        retryable: (e) => !(e instanceof HostKeyError || e instanceof AbortError),
        onRetry: (e, _n, ms) =>
          this.p.log?.(`${t.node}: ssh not ready (${(e as Error).message}); retry in ${(ms / 1000).toFixed(1)} s`),
      });
    } catch (e) {
      if (!(e instanceof RetryError)) throw e;
      const msg = (e.lastError as Error).message;
      const fix = /authentication/i.test(msg)
        ? `check that the lab key is in ${this.p.user}'s authorized_keys on the node`
        : 'check that the node is up and sshd listens (virsh list; the lab network namespace)';
      throw new SshError(t.node, t.host, `${t.node} (${t.host}:${t.port ?? 22}): ssh connect ${e.message}; ${fix}`);
    }
  }

  private async connectOnce(t: SshTarget): Promise<Conn> {
    const port = t.port ?? 22;
    const pinned = this.p.pins.lookup([t.node, t.host], port);
    if (!pinned.length && !this.p.insecureAcceptAnyHostKey) {
      throw new HostKeyError(
        t.node,
        t.host,
        [],
        '',
        `${t.node} (${t.host}): no pinned host key for "${t.node}" or "${t.host}" in the lab's known_hosts/host_keys; regenerate the lab outputs (cdktf deploy) or pass --insecure-accept-any-host-key for hosts you own`,
      );
    }
    const sock = this.p.dial ? (await this.p.dial(t.host, port, this.p.connectTimeoutMs)).stream : undefined;
    const client = new Client();
    let keyError: HostKeyError | undefined;
    return new Promise<Conn>((resolve, reject) => {
      let settled = false;
      const s = this.p.signal;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        s?.removeEventListener('abort', onAbort);
        if (err) {
          client.end();
          sock?.destroy();
          reject(err);
        } else {
          resolve(conn);
        }
      };
      const onAbort = (): void => finish(new AbortError(`connect to ${t.node}`));
      s?.addEventListener('abort', onAbort, { once: true });
      const conn: Conn = { target: t, client, closed: false };
      client.on('ready', () => finish());
      client.on('error', (e) => finish(keyError ?? e));
      client.on('close', () => {
        conn.closed = true;
        // Drop a dead connection so the next call reconnects.
        const cur = this.conns.get(t.node);
        void cur?.then(
          (c) => c === conn && this.conns.delete(t.node),
          () => undefined,
        );
        finish(keyError ?? new Error('connection closed during handshake'));
      });
      client.connect({
        ...(sock ? { sock } : { host: t.host, port }),
        username: this.p.user,
        privateKey: this.p.privateKey,
        readyTimeout: this.p.connectTimeoutMs,
        keepaliveInterval: 15000,
        keepaliveCountMax: 4,
        ...(pinned.length
          ? { algorithms: { serverHostKey: hostKeyAlgorithms(pinned.map((k) => k.type)) as never } }
          : {}),
        hostVerifier: (key: Buffer): boolean => {
          if (this.p.insecureAcceptAnyHostKey) return true;
          if (pinned.some((k) => k.blob.equals(key))) return true;
          const expected = pinned.map((k) => `${fingerprint(k.blob)} (${k.source})`);
          keyError = new HostKeyError(
            t.node,
            t.host,
            expected,
            fingerprint(key),
            `${t.node} (${t.host}): HOST KEY MISMATCH, refusing to connect: expected ${expected.join(' or ')}, seen ${fingerprint(key)}; if the node was rebuilt, regenerate the lab's known_hosts, otherwise someone may be intercepting`,
          );
          return false;
        },
      });
    });
  }

  /** Wait for one of the node's channels; the returned function gives it back (once). */
  private async channelSlot(node: string): Promise<() => void> {
    let s = this.slots.get(node);
    if (!s) this.slots.set(node, (s = { open: 0, waiting: [] }));
    const slot = s;
    if (slot.open >= this.p.maxChannelsPerNode) await new Promise<void>((r) => slot.waiting.push(r));
    else slot.open++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = slot.waiting.shift();
      // The slot passes straight to the next waiter, so the count stays at the limit.
      if (next) next();
      else slot.open--;
    };
  }

  /** Run a command on a node; resolves with stdout/stderr/code. */
  async exec(node: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const t = this.target(node);
    const check = opts.check ?? true;
    const timeoutMs = opts.timeoutMs ?? 60000;
    if (!opts.ignoreAbort) this.checkAbort(`\`${command}\` on ${node}`);
    const conn = await this.connect(node);
    const line = opts.sudo === false ? command : wrapSudo(this.p.user, command);
    const release = await this.channelSlot(node);
    if (!opts.ignoreAbort) {
      try {
        this.checkAbort(`\`${command}\` on ${node}`);
      } catch (e) {
        release();
        throw e;
      }
    }
    const res = await openExec(conn.client, line)
      .catch((err: Error) => {
        throw new RemoteCommandError(node, t.host, command, null, '', '', `could not start: ${err.message}`);
      })
      .then(
        (stream) =>
          new Promise<ExecResult>((resolve, reject) => {
            this.channels.add(stream);
            let out = '';
            let errOut = '';
            let done = false;
            const s = opts.ignoreAbort ? undefined : this.p.signal;
            const end = (e?: Error, r?: ExecResult): void => {
              if (done) return;
              done = true;
              clearTimeout(timer);
              s?.removeEventListener('abort', onAbort);
              this.channels.delete(stream);
              if (e) reject(e);
              else resolve(r!);
            };
            const kill = (): void => {
              try {
                stream.signal('KILL');
              } catch {
                /* channel already gone */
              }
              stream.close();
            };
            const onAbort = (): void => {
              kill();
              end(new AbortError(`\`${command}\` on ${node}`));
            };
            s?.addEventListener('abort', onAbort, { once: true });
            const timer = setTimeout(() => {
              kill();
              end(new RemoteCommandError(node, t.host, command, null, out, errOut, `timed out after ${timeoutMs} ms`));
            }, timeoutMs);
            stream.on('data', (d: Buffer) => {
              if (out.length < MAX_OUTPUT) out += d.toString('utf8');
            });
            stream.stderr.on('data', (d: Buffer) => {
              if (errOut.length < MAX_OUTPUT) errOut += d.toString('utf8');
            });
            stream.on('close', (code: number | null, signal?: string) => {
              if (code === null || code === undefined) {
                end(
                  new RemoteCommandError(
                    node,
                    t.host,
                    command,
                    null,
                    out,
                    errOut,
                    signal ? `killed by signal ${signal}` : 'ended without an exit status (connection lost?)',
                  ),
                );
              } else end(undefined, { stdout: out, stderr: errOut, code, ...(signal ? { signal } : {}) });
            });
          }),
      )
      .finally(release);
    this.p.onExec?.(node, command, res);
    if (check && res.code !== 0) {
      const hint =
        res.code === 1 && /sudo: a password is required/.test(res.stderr)
          ? ' (passwordless sudo needed for the lab user)'
          : '';
      throw new RemoteCommandError(
        node,
        t.host,
        command,
        res.code,
        res.stdout,
        res.stderr,
        `exited ${res.code}${hint}`,
      );
    }
    return res;
  }

  /** Download a remote file over SFTP (as the login user: make it readable first when using sudo). */
  async download(node: string, remote: string, local: string): Promise<void> {
    const t = this.target(node);
    this.checkAbort(`download ${remote} from ${node}`);
    const conn = await this.connect(node);
    if (!conn.sftp) {
      conn.sftp = new Promise((resolve, reject) => conn.client.sftp((e, s) => (e ? reject(e) : resolve(s))));
      conn.sftp.catch(() => (conn.sftp = undefined));
    }
    let sftp: SFTPWrapper;
    try {
      sftp = await conn.sftp;
    } catch (e) {
      throw new SshError(
        node,
        t.host,
        `${node} (${t.host}): SFTP subsystem not available: ${(e as Error).message}; enable "Subsystem sftp" in sshd_config`,
      );
    }
    await new Promise<void>((resolve, reject) =>
      sftp.fastGet(remote, local, (e) =>
        e
          ? reject(new SshError(node, t.host, `${node} (${t.host}): SFTP download of ${remote} failed: ${e.message}`))
          : resolve(),
      ),
    );
  }

  /**
   * Run `fn` for every node at once; waits for all. One failure is thrown as it is; several are one
   * NodesError (an AggregateError) whose line names every failing node.
   */
  async all<T>(nodes: readonly string[], fn: (node: string) => Promise<T>): Promise<T[]> {
    const settled = await Promise.allSettled(nodes.map((n) => fn(n)));
    const failed = settled
      .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      .map((f): unknown => f.reason);
    if (failed.length === 1) throw failed[0];
    if (failed.length) throw new NodesError(failed, nodes.length);
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  }

  private killChannels(): void {
    for (const ch of this.channels) {
      try {
        ch.signal('KILL');
      } catch {
        /* gone */
      }
      ch.close();
    }
  }

  /** End every connection (bounded wait for the close). Idempotent. */
  async close(timeoutMs = 3000): Promise<void> {
    this.closed = true;
    this.killChannels();
    const conns = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(
      conns.map(async (p) => {
        let c: Conn;
        try {
          c = await p;
        } catch {
          return;
        }
        if (c.closed) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            c.client.destroy();
            resolve();
          }, timeoutMs);
          c.client.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          c.client.end();
        });
      }),
    );
  }
}

/**
 * Abort on Ctrl-C / SIGTERM while `fn` runs; a second Ctrl-C exits at once.
 * Handlers are removed when `fn` settles.
 */
export async function withInterrupt<T>(
  controller: AbortController,
  fn: () => Promise<T>,
  onFirst?: (sig: string) => void,
): Promise<T> {
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count += 1;
    if (count > 1) process.exit(130);
    onFirst?.(sig);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await fn();
  } finally {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  }
}
