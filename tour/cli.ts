/**
 * `npm run tour -- [--round <dir>] [--lab L] [--path id] [--html file] [--all]`: a guided walk of the packet
 * path one hop at a time. --round: from a saved verify round (round.json + pcaps; e.g. .cache/e2e/<run>/verify,
 * test/fixtures/lab/<flavour>); --lab: a live lab (its last verify round, plus each hop's command run live
 * on its node while a few requests go through). In a terminal n/p/q step through; without a TTY (or --all)
 * every step is printed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { readRoundFile } from '../verify/cli';
import { evaluate } from '../verify/engine';
import { PATHS } from '../verify/paths';
import { buildTour, type TourPath } from './model';
import { renderAllText, renderPathHeader, renderStepText, renderTourHtml } from './render';

export const TOUR_CLI = {
  usage: 'npm run tour --',
  summary:
    'Walk the packet path hop by hop: what the hop is, the command to look yourself, the packet captured there.\n' +
    'n/space next, p previous, q quit in a terminal; with no TTY (or --all) every step is printed.',
  options: {
    round: { type: 'string', value: 'dir', help: 'a saved verify round (dir with round.json and pcaps/)' },
    lab: { type: 'string', value: 'name', help: 'a live workshop lab: its last round, each hop looked at live' },
    path: { type: 'string', value: 'id', help: `only this path: ${PATHS.map((p) => p.id).join(', ')}` },
    html: { type: 'string', value: 'file', help: 'also write the tour as one static HTML page' },
    all: { type: 'boolean', help: 'print every step (no stepping)' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

/** The tour of a saved round: the engine judges it again (the same verdict verify printed). */
export async function tourOfRound(dir: string): Promise<TourPath[]> {
  const file = path.join(dir, 'round.json');
  if (!fs.existsSync(file))
    throw new SwarmLabError(EXIT.usage, `--round ${dir}: no round.json there`, {
      fix: 'a verify report dir, e.g. .lab/<lab>/reports/<stamp>',
    });
  const round = readRoundFile(file);
  const verdict = await evaluate(round);
  return buildTour(verdict, round.topology);
}

async function step(
  paths: readonly TourPath[],
  live?: (p: TourPath, i: number) => Promise<string | undefined>,
): Promise<void> {
  const flat = paths.flatMap((p) => p.steps.map((s, i) => ({ p, s, i })));
  if (!flat.length) return;
  process.stdin.setRawMode(true);
  process.stdin.resume();
  let at = 0;
  const show = async (): Promise<void> => {
    const { p, s, i } = flat[at];
    process.stdout.write('\x1b[2J\x1b[H');
    if (i === 0) process.stdout.write(renderPathHeader(p) + '\n\n');
    process.stdout.write(renderStepText(s, live ? await live(p, i) : undefined) + '\n\n[n]ext  [p]revious  [q]uit\n');
  };
  await show();
  await new Promise<void>((resolve) => {
    process.stdin.on('data', (b: Buffer) => {
      const k = b.toString();
      if (k === 'q' || k === '\u0003') {
        process.stdin.setRawMode(false);
        process.stdin.pause();
        resolve();
        return;
      }
      if ((k === 'n' || k === ' ' || k === '\r') && at < flat.length - 1) at++;
      else if (k === 'p' && at > 0) at--;
      else return;
      void show();
    });
  });
}

async function main(): Promise<number> {
  const a = parseCli(
    TOUR_CLI,
    process.argv.slice(2).filter((x) => x !== '--debug'),
  );
  if (a.help) {
    process.stdout.write(a.text);
    return EXIT.ok;
  }
  const v = a.values;
  if (!v.round === !v.lab)
    throw new SwarmLabError(EXIT.usage, 'give one of --round <dir> or --lab <name>', { fix: 'npm run tour -- --help' });
  if (v.path && !PATHS.some((p) => p.id === v.path))
    throw new SwarmLabError(EXIT.usage, `--path ${v.path}: unknown; use one of ${PATHS.map((p) => p.id).join(', ')}`);
  let paths: TourPath[];
  let source: string;
  let live: ((p: TourPath, i: number) => Promise<string | undefined>) | undefined;
  if (v.lab) {
    const { liveTour } = await import('./live');
    const t = await liveTour(v.lab);
    paths = t.paths;
    source = t.source;
    live = t.look;
  } else {
    source = path.resolve(v.round!);
    paths = await tourOfRound(source);
  }
  if (v.path) paths = paths.filter((p) => p.id === v.path);
  const interactive = process.stdin.isTTY && process.stdout.isTTY && !v.all;
  const looked = new Map<string, string>();
  const look = live
    ? async (p: TourPath, i: number): Promise<string | undefined> => {
        const key = `${p.id}/${p.steps[i].index}`;
        if (!looked.has(key)) looked.set(key, (await live(p, i)) ?? '');
        return looked.get(key);
      }
    : undefined;
  if (interactive) await step(paths, look);
  else {
    if (look) for (const p of paths) for (let i = 0; i < p.steps.length; i++) await look(p, i);
    process.stdout.write(renderAllText(paths, look ? looked : undefined));
  }
  if (v.html) {
    fs.writeFileSync(v.html, renderTourHtml(paths, { source, ...(look ? { live: looked } : {}) }));
    process.stderr.write(`tour: wrote ${v.html}\n`);
  }
  return EXIT.ok;
}

if (require.main === module) runMain('tour', main);
