/**
 * `npm run ssh -- <node> [command...]`: OpenSSH to a lab node as the image's user with the lab's key
 * and pinned known_hosts (StrictHostKeyChecking=yes). For the embedded lab, scripts/in-lab.sh has
 * already put this process in the lab's network namespace. Exit code: ssh's.
 */
import { spawn } from 'child_process';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { resolveLab } from '../stacks/lab';
import { sshArgs } from '../stacks/ssh-args';

export const SSH_CLI = {
  usage: 'npm run ssh --',
  summary: "SSH to a lab node with the lab's key and pinned host keys; with a command, run it there.",
  positionals: '<node> [command...]',
  options: {
    user: { type: 'string', value: 'name', help: "login user (default: the image's user)" },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

async function main(argv: readonly string[]): Promise<number> {
  // Options end at the node name: the remote command's own flags (docker node ls -q) are not ours.
  const at = argv.findIndex((x, i) => !x.startsWith('-') && argv[i - 1] !== '--user');
  const a = parseCli(SSH_CLI, at < 0 ? argv : [...argv.slice(0, at), '--', ...argv.slice(at)]);
  if (a.help) {
    process.stdout.write(a.text);
    return EXIT.ok;
  }
  const [node, ...command] = a.positionals;
  if (!node) throw new SwarmLabError(EXIT.usage, 'name a node', { fix: `${SSH_CLI.usage} --help` });
  const lab = resolveLab();
  const args = sshArgs(lab, node, command, a.values.user);
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', args, { stdio: 'inherit' });
    p.on('error', (e) => reject(new SwarmLabError(EXIT.env, `ssh: ${e.message}`, { fix: 'install openssh-client' })));
    p.on('exit', (c, sig) => resolve(c ?? (sig ? 130 : EXIT.env)));
  });
}

if (require.main === module) runMain('ssh', () => main(process.argv.slice(2)));
