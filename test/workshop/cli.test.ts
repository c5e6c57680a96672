import { spawnSync } from 'child_process';
import * as path from 'path';
import { EXIT } from '../../lib/exit';
import { parseWorkshopArgs } from '../../workshop/args';

const ROOT = path.resolve(__dirname, '../..');
/** The CLI as a user runs it: one line on stderr and lib/exit.ts's code. */
function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'workshop/cli.ts', ...args], {
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
  });
});
