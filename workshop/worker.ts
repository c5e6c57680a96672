/** `worker.ts up|reset <ws> <lab>`: one lab's work in its own process (spawned by workshop/cli.ts). */
import { resetLab, upLab, verifyOnly } from './lab-work';

const [what, ws, lab] = process.argv.slice(2);
const work = ({ up: upLab, reset: resetLab, verify: verifyOnly } as const)[what as 'up'];
if (!work || !ws || !lab) {
  process.stderr.write('usage: worker.ts up|reset|verify <workshop> <lab>\n');
  process.exit(3);
}
work(ws, lab).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`worker ${lab}: ${(e as Error).message}\n`);
    process.exit(5);
  },
);
