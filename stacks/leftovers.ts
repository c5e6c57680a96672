/**
 * What of a lab is still alive on this machine after a teardown (the e2e runner and the embedded
 * lab's destroy both prove "nothing left" with it).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import type { Lab } from './lab';

/** Anything of this lab still alive: the netns, a QEMU for one of its domains, its libvirtd. */
export function leftovers(lab: Lab, netns: string): string[] {
  const found: string[] = [];
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  if (ns.split('\n').some((l) => l.split(' ')[0] === netns)) found.push(`netns ${netns}`);
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (cmd.includes(`guest=${lab.name}-`) || cmd.includes(`.cache/host/${lab.name}/`))
      found.push(`pid ${pid}: ${cmd.slice(0, 100)}`);
  }
  return found;
}
