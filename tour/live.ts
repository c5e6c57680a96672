/**
 * The tour on a live lab: the hops and packet lines of the lab's last verify round (verify runs first when
 * there is none), and for each hop its command run now on its node: state commands as they are, packet hops
 * as a bounded tcpdump while the client sends a few requests to the entry node's published port.
 */
import * as fs from 'fs';
import * as path from 'path';
import { findLab, inLabNs, onNode, onNodeAsync } from '../exercise/lab-access';
import { verifyLab, type LabContext } from '../workshop/lab-work';
import { readStatus } from '../workshop/state';
import { tourOfRound } from './cli';
import type { TourPath } from './model';

/** The newest round of the lab: the workshop's last verify, else the newest report dir with a round.json. */
export function lastRound(c: LabContext): string | undefined {
  const s = c.ws ? readStatus(c.ws, c.lab.name) : undefined;
  if (s?.report && fs.existsSync(path.join(s.report, 'round.json'))) return s.report;
  const dir = path.join(c.dir, 'verify');
  const all = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'round.json')))
    : [];
  return all.length ? path.join(dir, all.sort().pop()!) : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function liveTour(
  name: string,
): Promise<{ paths: TourPath[]; source: string; look: (p: TourPath, i: number) => Promise<string> }> {
  const c = findLab(name);
  let round = lastRound(c);
  if (!round) {
    process.stderr.write(`tour: ${c.lab.name} has no verify round yet; running verify (about a minute or two)\n`);
    round = (await verifyLab(c)).report;
  }
  const paths = await tourOfRound(round);
  const entry = c.lab.nodes[0];
  const url = `http://${entry.ip}:${c.lab.service.publishedPort}/`;
  const look = async (p: TourPath, i: number): Promise<string> => {
    const s = p.steps[i];
    if (s.runsOn === 'client') {
      const r = inLabNs(c, s.command);
      return `$ ${s.command}\n${r.stdout}${r.stderr}`;
    }
    const node = c.lab.nodes.find((n) => n.name === s.node);
    if (!node) return `(node ${s.node} is not in the lab file)`;
    if (s.liveCommand) {
      // Three requests: IPVS round robin over three tasks, so the hop's task serves one of them.
      const cap = onNodeAsync(c, node, s.liveCommand, 25);
      await sleep(4000);
      for (let k = 0; k < 3; k++) inLabNs(c, `curl -s -m 5 -o /dev/null ${url}`);
      const r = await cap;
      return `$ ${s.liveCommand}   (while the client sent 3 requests to ${url})\n${r.stdout}${r.stderr.replace(/^tcpdump: verbose output suppressed.*\n|^listening on .*\n/gm, '')}`;
    }
    const r = onNode(c, node, s.command, 30);
    return `$ ${s.command}\n${r.stdout}${r.stderr}`;
  };
  return { paths, source: `lab ${c.lab.name} (live), round ${round}`, look };
}
