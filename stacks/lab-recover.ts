/**
 * What an interrupted OpenTofu run leaves in a lab directory, put right before the next command
 * reads the state. Measured on the real lab (e2e/lifecycle.sh interrupt): a deploy killed mid-apply
 * left OpenTofu's own state lock behind and `terraform.tfstate` unreadable, so the next deploy and
 * destroy both refused. Call it only with the lab's lock held and its previous holder dead: then no
 * OpenTofu of this lab can be running.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stateResources } from './lab-state';

/** The state's resource count, or undefined when the file is missing or not a state (one tfstate reader: lab-state). */
function readable(file: string): { resources: number } | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return { resources: stateResources(file).length };
  } catch {
    return undefined;
  }
}

/** Returns the lines it said; changes nothing when the interrupted run left nothing behind. */
export function recoverInterrupted(dir: string, say: (line: string) => void, now = new Date()): string[] {
  const lines: string[] = [];
  const tell = (l: string) => {
    lines.push(l);
    say(l);
  };
  const tofuLock = path.join(dir, '.terraform.tfstate.lock.info');
  if (fs.existsSync(tofuLock)) {
    fs.rmSync(tofuLock, { force: true });
    tell(`removed OpenTofu's state lock ${tofuLock}, left by the interrupted run`);
  }
  const state = path.join(dir, 'terraform.tfstate');
  if (!fs.existsSync(state) || readable(state)) return lines;
  const aside = `${state}.broken-${now.toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(state, aside);
  const backup = `${state}.backup`;
  const b = readable(backup);
  if (b) {
    fs.copyFileSync(backup, state);
    tell(
      `${state} was cut short by the interruption (moved to ${path.basename(aside)}); restored ${path.basename(backup)} (${b.resources} resources); what the interrupted run created after it is removed as an orphan`,
    );
  } else
    tell(
      `${state} was cut short by the interruption (moved to ${path.basename(aside)}) and has no readable backup; the lab's domains, network and volumes not in state are removed as orphans`,
    );
  return lines;
}
