/**
 * The registry of paths verify can prove. A new path is one file exporting a `PathSpec` and one
 * entry here; the capture plan, the engine and every report pick it up from this list.
 */
import { EXIT, SwarmLabError } from '../../lib/exit';
import { dns } from './dns';
import { egress } from './egress';
import { ingress } from './ingress';
import { serviceVip } from './service-vip';
import { taskToTask } from './task-to-task';
import type { PathSpec } from './types';

export * from './types';

export const PATHS: readonly PathSpec[] = [ingress, serviceVip, taskToTask, dns, egress];

/** Paths a lab proves when `--paths` is not given (until the lab file names them: `ingress`). */
export const DEFAULT_PATHS: readonly string[] = ['ingress'];

export function pathById(id: string): PathSpec | undefined {
  return PATHS.find((p) => p.id === id);
}

/** `--paths ingress,service-vip` -> the specs, in registry order; an unknown id is a usage error. */
export function selectPaths(ids: readonly string[] = DEFAULT_PATHS): PathSpec[] {
  const wanted = [...new Set(ids.map((s) => s.trim()).filter(Boolean))];
  const unknown = wanted.filter((id) => !pathById(id));
  if (unknown.length)
    throw new SwarmLabError(EXIT.usage, `--paths: unknown path ${unknown.join(', ')}`, {
      subject: '--paths',
      fix: `choose from ${PATHS.map((p) => p.id).join(', ')}`,
    });
  if (!wanted.length)
    throw new SwarmLabError(EXIT.usage, '--paths: no path named', {
      fix: `choose from ${PATHS.map((p) => p.id).join(', ')}`,
    });
  return PATHS.filter((p) => wanted.includes(p.id));
}
