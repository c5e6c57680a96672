/**
 * `down`: every host of the workshop goes down whole (e2e/host/down.sh: domains, networks, pools and
 * their volumes, libvirtd, virtlogd, what is left in the namespace, the namespace), each lab's state,
 * registry entry and synth output go; then nothing of the workshop may be left running.
 */
import * as fs from 'fs';
import * as path from 'path';
import { hostDown } from '../e2e/host';
import { leftovers } from '../stacks/leftovers';
import { labPaths, resolveLab, type Lab } from '../stacks/lab';
import { unregister } from '../stacks/lab-registry';
import { labDir, labFilePath, moveTo, readStatus, ROOT, type WorkshopPlan } from './state';

/** What of the workshop still exists: namespaces, QEMU of its labs, its libvirtds, pool directories. */
export function workshopLeftovers(plan: WorkshopPlan, root = ROOT): string[] {
  const found = new Set<string>();
  for (const h of plan.hosts) {
    for (const l of leftovers({ name: h.key } as Lab, h.netns)) found.add(l);
    if (fs.existsSync(path.join(h.hostDir, 'pool'))) found.add(`pool dir ${path.join(h.hostDir, 'pool')}`);
  }
  for (const l of plan.labs) for (const x of leftovers({ name: l.name } as Lab, `swl-${l.name}`)) found.add(x);
  void root;
  return [...found];
}

export async function downWorkshop(plan: WorkshopPlan, say: (l: string) => void, root = ROOT): Promise<string[]> {
  for (const h of plan.hosts) {
    await hostDown({ lab: h.key, root, timeoutS: 300 });
    say(`host ${h.name}: netns ${h.netns} and its libvirtd down`);
  }
  for (const l of plan.labs) {
    const file = labFilePath(plan.name, l.name, root);
    if (fs.existsSync(file)) {
      const lab = resolveLab({ file, env: {} });
      const state = path.join(labPaths(lab, root).dir, 'terraform.tfstate');
      for (const f of [state, `${state}.backup`]) fs.rmSync(f, { force: true });
      unregister(lab, root);
    }
    fs.rmSync(path.join(labDir(plan.name, l.name, root), 'cdktf.out'), { recursive: true, force: true });
    const s = readStatus(plan.name, l.name, root);
    if (s && s.phase !== 'down') moveTo(plan.name, { ...s, phase: s.phase }, 'down', { pid: undefined }, root);
  }
  return workshopLeftovers(plan, root);
}
