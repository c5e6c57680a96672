/**
 * OpenSSH's argv for a lab node: the lab's key, its pinned known_hosts (StrictHostKeyChecking=yes),
 * the image's user. `npm run ssh` and the e2e runner's node timings both use it; run it inside the
 * lab's network namespace when the lab lives in one.
 */
import { EXIT, SwarmLabError } from '../lib/exit';
import { imageOf, labPaths, type Lab } from './lab';

/** The ssh argv for `node` (and a remote command) in `lab`. */
export function sshArgs(
  lab: Lab,
  node: string,
  command: readonly string[],
  user?: string,
  root = process.cwd(),
  batch = false,
): string[] {
  const n = lab.nodes.find((x) => x.name === node || x.ip === node);
  if (!n)
    throw new SwarmLabError(EXIT.usage, `no node ${node} in lab ${lab.name}`, {
      fix: `one of ${lab.nodes.map((x) => x.name).join(', ')}`,
    });
  const p = labPaths(lab, root);
  return [
    '-i',
    p.userKey,
    '-o',
    `UserKnownHostsFile=${p.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=10',
    // Batch: never prompt (scripts); interactive: a TTY when there is no command (a shell).
    ...(batch ? ['-o', 'BatchMode=yes'] : command.length ? [] : ['-t']),
    `${user ?? imageOf(lab).sshUser}@${n.ip}`,
    ...command,
  ];
}
