import { spawnSync } from 'child_process';
import * as path from 'path';
import { EXIT } from '../../lib/exit';
import { parseWorkerArgs, parseWorkshopArgs, WORKSHOP_CLI } from '../../workshop/args';

const ROOT = path.resolve(__dirname, '../..');
/** The CLI as a user runs it: one line on stderr and lib/exit.ts's code. */
function run(...args: string[]) {
  return runScript('workshop/cli.ts', ...args);
}
function runScript(script: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, SWARM_LAB_DEBUG: '' },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('npm run workshop: arguments', () => {
  test('up: labs, hosts, parallel and the defaults', () => {
    expect(parseWorkshopArgs(['up', '--labs', '2', '--hosts', 'h1,h2', '--parallel', '2', '--name', 'wa'])).toEqual(
      expect.objectContaining({
        command: 'up',
        name: 'wa',
        labs: 2,
        hosts: ['h1', 'h2'],
        parallel: 2,
        memoryMiB: 1536,
        cpuRatio: 4,
        flavour: 'debian12-docker20',
      }),
    );
    expect(parseWorkshopArgs(['reset', 'ws-2'])).toEqual(expect.objectContaining({ command: 'reset', lab: 'ws-2' }));
    expect(parseWorkshopArgs(['verify'])).toEqual(expect.objectContaining({ command: 'verify' }));
  });

  test.each([
    [['up'], 'up needs --labs N; fix: e.g. up --labs 2'],
    [['up', '--labs', '41'], '--labs 41: needs an integer 1-40'],
    [['up', '--labs', '2', '--hosts', 'h1,h1'], '--hosts h1,h1: a host is named twice'],
    [['up', '--labs', '2', '--flavour', 'centos7'], /^--flavour centos7 is unknown; use one of debian/],
    [['reset'], 'reset needs the lab to reset, e.g. reset ws-2; fix: npm run workshop -- status lists the labs'],
    [['status', '--labs', '2'], '--labs belongs to up, not status'],
    [['down', 'ws-1'], 'down: unexpected argument ws-1'],
    [
      ['frob'],
      'unknown command frob; use one of up, status, reset, verify, down, sheets; fix: npm run workshop -- --help',
    ],
    [['up', '--labs', '2', '--bogus'], /^Unknown option '--bogus'/],
  ])('%j is one usage line', (argv, line) => {
    let err: { exitCode?: number; line?: () => string } = {};
    try {
      parseWorkshopArgs(argv);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.exitCode).toBe(EXIT.usage);
    if (typeof line === 'string') expect(err.line!()).toBe(line);
    else expect(err.line!()).toMatch(line);
  });

  test('the CLI prints one line and exits with the code: usage 3, unknown workshop 4', () => {
    const bad = run('up', '--labs', 'x');
    expect(bad.stderr).toBe('swarm-lab workshop: --labs x: needs an integer 1-40\n');
    expect(bad.code).toBe(EXIT.usage);
    const none = run('status', '--name', 'nosuchws');
    expect(none.stderr).toMatch(
      /^swarm-lab workshop: workshop nosuchws has no plan \(.*workshop\.json\); fix: npm run workshop -- up --name nosuchws --labs N\n$/,
    );
    expect(none.code).toBe(EXIT.state);
  });

  test('--help is generated from the option table', () => {
    const h = run('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(
      /^usage: npm run workshop -- \[options\] <up\|status\|reset <lab>\|verify \[lab\]\|down\|sheets>/,
    );
    expect(h.stdout).toContain('--labs <n>');
    for (const name of Object.keys(WORKSHOP_CLI.options)) expect(h.stdout).toContain(`--${name}`);
    expect(h.stderr).toBe('');
  });

  test.each([
    [['up', '--labs', '2', '--bogus'], "swarm-lab workshop: Unknown option '--bogus'"],
    [['up', '--labs'], "swarm-lab workshop: Option '--labs <value>' argument missing"],
  ])('the CLI: %j is one line on stderr, exit 3', (argv, start) => {
    const r = run(...argv);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr.split('\n')).toEqual([expect.stringContaining(start), '']);
    expect(r.stderr).toContain('; fix: npm run workshop -- --help lists the options');
    expect(r.stdout).toBe('');
  });
});

describe('workshop/worker.ts: arguments (the per-lab process the workshop spawns)', () => {
  const worker = (...args: string[]) => runScript('workshop/worker.ts', ...args);

  test('verb, workshop and lab', () => {
    expect(parseWorkerArgs(['reset', 'wa', 'wa-2'])).toEqual({ verb: 'reset', ws: 'wa', lab: 'wa-2' });
  });

  test('--help is generated: usage with the verbs, exit 0', () => {
    const h = worker('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(
      /^usage: node -r ts-node\/register\/transpile-only workshop\/worker\.ts \[options\] <up\|reset\|verify> <workshop> <lab>\n/,
    );
    expect(h.stdout).toContain('-h, --help');
  });

  test.each([
    [
      ['up', 'wa', 'wa-1', '--bogus'],
      /^swarm-lab workshop worker: Unknown option '--bogus'; fix: .*--help lists the options$/,
    ],
    [['up', 'wa'], /^swarm-lab workshop worker: up needs <workshop> <lab>; fix: .*worker\.ts --help$/],
    [['frob', 'wa', 'wa-1'], /^swarm-lab workshop worker: unknown verb frob; use one of up, reset, verify; fix: /],
    [[], /^swarm-lab workshop worker: no verb; use one of up, reset, verify; fix: /],
    [['verify', 'wa', 'wa-1', 'x'], /^swarm-lab workshop worker: verify: unexpected argument x; fix: /],
  ])('%j is one line on stderr, exit 3', (argv, line) => {
    const r = worker(...argv);
    expect(r.code).toBe(EXIT.usage);
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(line);
  });

  test('a lab whose work cannot start is an environment failure (exit 5) naming the lab', () => {
    const r = worker('verify', 'nosuchws', 'nosuchws-1');
    expect(r.code).toBe(EXIT.env);
    expect(r.stderr).toMatch(/^swarm-lab workshop worker: nosuchws-1: workshop nosuchws has no plan \(/);
  });
});
