/** `npm run exercise -- list | start <name> | hint | check [--tell] | solve  [--lab L]` */
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { EXERCISES } from './catalogue';
import { findLab } from './lab-access';
import { check, hint, solve, start, type Outcome } from './run';

export const EXERCISE_CLI = {
  usage: 'npm run exercise --',
  summary:
    'Break-and-fix on a live lab: start injects a named mistake on the data path, hint gives clues, check runs verify\n' +
    'and says solved or not (--tell names the hop it blames), solve restores the lab. list shows the catalogue.',
  positionals: '<list|start <name>|hint|check|solve>',
  options: {
    lab: { type: 'string', value: 'name', help: 'workshop lab (default: SWARM_LAB_FILE in SWARM_LAB_NETNS)' },
    tell: { type: 'boolean', help: 'check: name the hop verify blames' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

export async function runExercise(argv: readonly string[]): Promise<Outcome> {
  const a = parseCli(EXERCISE_CLI, argv);
  if (a.help) return { code: EXIT.ok, lines: [a.text] };
  const [cmd, name, ...extra] = a.positionals;
  const usage = (m: string) => new SwarmLabError(EXIT.usage, m, { fix: 'npm run exercise -- --help' });
  if (!cmd) throw usage('no command; use list, start <name>, hint, check or solve');
  if (extra.length || (name && cmd !== 'start'))
    throw usage(`${cmd}: unexpected argument ${[name, ...extra].filter(Boolean).join(' ')}`);
  if (cmd === 'list') return { code: EXIT.ok, lines: EXERCISES.map((e) => `${e.name.padEnd(22)} ${e.title}`) };
  if (!['start', 'hint', 'check', 'solve'].includes(cmd)) throw usage(`unknown command ${cmd}`);
  if (cmd === 'start' && !name) throw usage(`start needs an exercise: ${EXERCISES.map((e) => e.name).join(', ')}`);
  const c = findLab(a.values.lab);
  if (cmd === 'start') return start(c, name);
  if (cmd === 'hint') return hint(c);
  if (cmd === 'check') return check(c, a.values.tell === true);
  return solve(c);
}

if (require.main === module)
  runMain('exercise', async () => {
    const o = await runExercise(process.argv.slice(2).filter((x) => x !== '--debug'));
    process.stdout.write(o.lines.join('\n') + '\n');
    return o.code;
  });
