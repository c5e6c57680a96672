import { helpText, parseCli } from '../../lib/cli';
import { EXIT, SwarmLabError } from '../../lib/exit';
import { parseArgs as e2eArgs, RUN_CLI } from '../../e2e/run';

const SPEC = {
  usage: 'npm run x --',
  summary: 'Does x.',
  options: {
    out: { type: 'string', value: 'dir', help: 'where to write' },
    count: { type: 'string', default: '3', help: 'how many' },
    quiet: { type: 'boolean', short: 'q', help: 'less output' },
  },
} as const;

describe('lib/cli: parseArgs with a generated --help', () => {
  test('values, defaults and short flags come from node:util parseArgs', () => {
    const a = parseCli(SPEC, ['--out', '/tmp/o', '-q']);
    expect(a.values).toEqual({ out: '/tmp/o', count: '3', quiet: true });
    expect(a.help).toBe(false);
    expect(parseCli(SPEC, ['-h']).help).toBe(true);
  });

  test('the help lists every option with its placeholder, default and help line', () => {
    expect(helpText(SPEC)).toBe(
      [
        'usage: npm run x -- [options]',
        '',
        'Does x.',
        '',
        '  --out <dir>      where to write',
        '  --count <value>  how many (default 3)',
        '  -q, --quiet      less output',
        '  -h, --help       show this help and exit',
        '',
      ].join('\n'),
    );
  });

  test('an unknown option, a missing value or a positional is a usage error (exit 3) naming it', () => {
    const err = (argv: string[]) => {
      try {
        parseCli(SPEC, argv);
      } catch (e) {
        return e as SwarmLabError;
      }
      throw new Error('no error');
    };
    expect(err(['--bogus'])).toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining("'--bogus'") });
    expect(err(['--out']).message).toContain("'--out <value>' argument missing");
    expect(err(['stray']).message).toContain("'stray'");
  });

  test('the e2e runner: --help is its generated help, every option named in it', () => {
    const h = e2eArgs(['--help']).help ?? '';
    for (const name of Object.keys(RUN_CLI.options)) expect(h).toContain(`--${name}`);
    expect(h).toMatch(/^usage: npm run e2e -- \[options\]/);
  });
});
