/**
 * verify/batch.ts: several commands in one exec. The script runs in a real `sh` here (the nodes run it
 * the same way, through sshd); each part's stdout, stderr and exit code must come back exactly as a
 * lone run of that part gives them, and a failing part throws the error a lone `pool.exec` would.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { batchParts, batchScript, checked, execBatch, formatBatchOutput, splitBatch } from '../../../verify/batch';
import { containerStatus, processTable } from '../../../verify/discover-snapshot';
import { apiOrCli, SH_API_FUNCTION } from '../../../verify/engine-api';
import { RemoteCommandError, type ExecResult, type SshPool } from '../../../verify/ssh';

const sh = (script: string): ExecResult => {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
};

// Outputs with and without a trailing newline, empty ones, stderr, non-zero exits, a marker-like word.
const PARTS = [
  `printf 'eth0 10.0.0.2/24\\nlo 127.0.0.1/8\\n'`,
  `printf 'no newline at the end'`,
  'true',
  `echo 'nsenter: cannot open /var/run/docker/netns/gone: No such file or directory' >&2; exit 1`,
  `echo out; echo err >&2; exit 3`,
  `printf '\\n\\nblank lines around\\n\\n'`,
  `echo '@@swl-batch is only a marker at the start of its own line'`,
  'cat', // reads no stdin: the part must not wait on the batch's own
];

test('each part comes back exactly as a lone run of it, in order', () => {
  const lone = PARTS.map(sh);
  const batch = sh(batchScript(PARTS));
  expect(batch.code).toBe(0);
  expect(splitBatch(PARTS.length, batch.stdout)).toEqual(lone);
  // What the script prints is what formatBatchOutput says (the transcript replays rely on it).
  expect(batch.stdout).toBe(formatBatchOutput(lone));
  expect(batchParts(batchScript(PARTS))).toEqual(PARTS);
  expect(batchParts('docker network inspect ingress')).toBeUndefined();
});

test('output cut short: the unfinished parts are undefined, the finished ones kept', () => {
  const out = sh(batchScript(PARTS.slice(0, 3))).stdout;
  const cut = out.slice(0, out.indexOf('@@swl-batch rc 1'));
  const parts = splitBatch(3, cut);
  expect(parts[0]).toEqual(sh(PARTS[0]));
  expect(parts.slice(1)).toEqual([undefined, undefined]);
});

test('a part must be one line', () => {
  expect(() => batchScript(['echo a\necho b'])).toThrow(/one line/);
});

describe('over a pool', () => {
  const pool = {
    nodes: ['node-18'],
    user: 'root',
    target: () => ({ node: 'node-18', host: '10.211.55.18' }),
    exec: (_node: string, command: string) => Promise.resolve(sh(command)),
  } as unknown as SshPool;

  test('one exec; a failing part names node, namespace, command, exit code and stderr like a lone exec', async () => {
    const ns = '/var/run/docker/netns/gone';
    const cmd = `nsenter --net='${ns}' ip -o addr show`;
    // This machine's real nsenter on a namespace file that does not exist.
    const parts = await execBatch(pool, 'node-18', ['echo ok', cmd]);
    expect(checked(parts[0])).toBe('ok\n');
    const err = (() => {
      try {
        checked(parts[1]);
      } catch (e) {
        return e as RemoteCommandError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err!.command).toBe(cmd);
    expect(err!.message).toMatch(
      new RegExp(
        `^node-18 \\(10\\.211\\.55\\.18\\): \`nsenter --net='${ns}' ip -o addr show\` exited 1: nsenter: .*${ns}`,
      ),
    );
  });

  test('no parts: no exec', async () => {
    await expect(
      execBatch({ exec: () => Promise.reject(new Error('ran')) } as unknown as SshPool, 'n', []),
    ).resolves.toEqual([]);
  });

  test('a part the batch never finished says so', () => {
    const part = {
      node: 'node-18',
      host: '10.211.55.18',
      command: 'ip -o addr show',
      batch: { code: 1, stderr: 'sudo: a password is required\n' },
    };
    expect(() => checked(part)).toThrow(
      /^node-18 \(10\.211\.55\.18\): `ip -o addr show` did not finish \(its batch exited 1 before this part's end\): sudo: a password is required$/,
    );
  });
});

describe('snapshot reads of a task from the Engine API (real answers, bookworm Docker 20.10.24)', () => {
  // Recorded by the live round of test/fixtures/lab/debian12-docker20-engine-api: the snapshot batch's parts.
  const transcript = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../fixtures/lab/debian12-docker20-engine-api/transcript.json'), 'utf8'),
  ) as Array<{ node: string; command: string; stdout: string }>;
  const part = (re: RegExp): string => {
    for (const e of transcript) {
      const parts = batchParts(e.command);
      const i = parts?.findIndex((p) => re.test(p)) ?? -1;
      if (parts && i >= 0) return splitBatch(parts.length, e.stdout)[i]!.stdout;
    }
    throw new Error(`no part ${re}`);
  };

  test("the container JSON gives its state, the /top JSON the CLI's table the engine reads", () => {
    expect(containerStatus(part(/^swl_api '?\/containers\/\w+\/json/))).toBe('running');
    expect(processTable(part(/^swl_api '?\/containers\/\w+\/top/))).toMatch(
      /^PID {2}STAT {2}COMMAND\n\d+ {2}Ss {2}busybox\n$/,
    );
    // The CLI's own answers (the fallback) are kept as they are.
    expect(containerStatus('paused\n')).toBe('paused');
    const cliTop = 'PID                 STAT                COMMAND\n1077                Tl                  nginx\n';
    expect(processTable(cliTop)).toBe(cliTop);
  });
});

test('a batch with an Engine API read defines swl_api once, and its parts read back as asked', () => {
  const parts = ['ip -o addr show', apiOrCli('/info', "docker info --format '{{json .}}'")];
  const script = batchScript(parts);
  expect(script.split('\n').filter((l) => l === SH_API_FUNCTION)).toHaveLength(1);
  expect(batchParts(script)).toEqual(parts);
  expect(batchScript(['ip -o addr show'])).not.toContain('swl_api');
  // Where curl cannot (a stand-in exiting 7, "couldn't connect", as with no socket), the part runs its CLI command.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-batch-'));
  try {
    fs.writeFileSync(path.join(bin, 'curl'), '#!/bin/sh\nexit 7\n', { mode: 0o755 });
    const r = spawnSync('sh', ['-c', batchScript([apiOrCli('/info', 'echo from-the-cli')])], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin` },
    });
    expect(splitBatch(1, r.stdout)[0]).toEqual({ stdout: 'from-the-cli\n', stderr: '', code: 0 });
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});
