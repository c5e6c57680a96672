/** `worker.ts up|reset|verify <ws> <lab>`: one lab's work in its own process (spawned by workshop/cli.ts). */
import { describeError, EXIT, runMain, SwarmLabError } from '../lib/exit';
import { parseWorkerArgs } from './args';
import { resetLab, upLab, verifyOnly } from './lab-work';

const WORK = { up: upLab, reset: resetLab, verify: verifyOnly } as const;

async function main(): Promise<number> {
  const a = parseWorkerArgs(process.argv.slice(2).filter((x) => x !== '--debug'));
  if ('help' in a) {
    process.stdout.write(a.help);
    return EXIT.ok;
  }
  try {
    return await WORK[a.verb](a.ws, a.lab);
  } catch (e) {
    // The lab's work crashed (its own failures are exit codes): an environment failure, named by lab.
    throw new SwarmLabError(EXIT.env, `${a.lab}: ${describeError(e).line}`, { cause: e });
  }
}

if (require.main === module) runMain('workshop worker', main);
