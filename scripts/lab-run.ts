/**
 * The gate every lab-changing command passes (scripts/lab.sh, destroy.sh, synth.sh, provision.sh,
 * e2e): resolve the lab, check its state for the command, refuse a clash with another deployed lab,
 * take the per-lab lock, then run the command and release the lock when it ends.
 *   ts-node scripts/lab-run.ts <lab|destroy|provision|synth> -- <command> [args...]
 * Wrong state, busy or clash: one line `swarm-lab <command>: ...` and lib/exit.ts's code. A lock left
 * by a killed command is taken over with a line saying what was interrupted; `lab` then removes
 * libvirt domains the interrupted deploy created but never recorded in state, so the deploy converges.
 */
import { spawn, spawnSync } from 'child_process';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { labPaths, resolveLab, type Lab } from '../stacks/lab';
import { acquireLabLock, staleHolder } from '../stacks/lab-lock';
import { recoverInterrupted } from '../stacks/lab-recover';
import { checkClash, register, unregister } from '../stacks/lab-registry';
import { domainsIn, labStatus, requireState, stateResources, type LabCommand } from '../stacks/lab-state';
import { domainName } from '../stacks/names';
import { checkLibvirtSocket, checkRemoteLibvirt } from '../stacks/preflight';

const COMMANDS: readonly LabCommand[] = ['lab', 'destroy', 'provision', 'synth'];

/** Domains of the lab that libvirt has but state does not: left by a deploy killed mid-way. */
/**
 * The lab's libvirt objects an interrupted deploy created but no state records (a state cut short
 * with no backup records none): domains, the lab network, the lab's volumes in its pool. Left in
 * place they make the next apply fail ("network ... already exists") and the destroy leave them.
 */
function removeOrphans(lab: Lab, stateFile: string, say: (l: string) => void): void {
  const resources = stateResources(stateFile);
  const named = (type: string) =>
    new Set(
      resources
        .filter((r) => r.type === type)
        .flatMap((r) =>
          (r.instances ?? []).map((i) => (typeof i.attributes?.name === 'string' ? i.attributes.name : '')),
        ),
    );
  const virsh = (...a: string[]) =>
    spawnSync('virsh', ['-q', '-c', lab.libvirtUri, ...a], { encoding: 'utf8', timeout: 30_000 });
  // Stop, then remove, in one virsh session (the stop fails harmlessly on a stopped object; the
  // exit status is the removal's).
  const stopAndRemove = (stop: string, remove: string, name: string) => virsh(`${stop} ${name}; ${remove} ${name}`);
  const must = (what: string, r: ReturnType<typeof virsh>, fix: string) => {
    if (r.status !== 0)
      throw new SwarmLabError(EXIT.env, `virsh ${what} failed: ${(r.stderr || r.stdout).trim()}`, { fix });
  };
  const inState = new Set(domainsIn(resources));
  const s = labStatus(lab);
  for (const d of s.domains.filter((x) => !inState.has(x) && lab.nodes.some((n) => domainName(lab, n) === x))) {
    say(`removing domain ${d}: created by an interrupted deploy, not in state`);
    must(`undefine ${d}`, stopAndRemove('destroy', 'undefine', d), `virsh -c ${lab.libvirtUri} undefine ${d}`);
  }
  const net = lab.network.name;
  if (!named('libvirt_network').has(net) && virsh('net-info', net).status === 0) {
    say(`removing network ${net}: created by an interrupted deploy, not in state`);
    must(
      `net-undefine ${net}`,
      stopAndRemove('net-destroy', 'net-undefine', net),
      `virsh -c ${lab.libvirtUri} net-undefine ${net}`,
    );
  }
  const vols = virsh('vol-list', '--pool', lab.pool);
  if (vols.status !== 0) return; // no pool yet: nothing of it to remove
  const volumes = named('libvirt_volume');
  for (const v of vols.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((v) => v && v.startsWith(`${lab.name}-`) && !volumes.has(v))) {
    say(`removing volume ${v} (pool ${lab.pool}): created by an interrupted deploy, not in state`);
    must(
      `vol-delete ${v}`,
      virsh('vol-delete', '--pool', lab.pool, v),
      `virsh -c ${lab.libvirtUri} vol-delete --pool ${lab.pool} ${v}`,
    );
  }
}

export const LAB_RUN_CLI = {
  usage: 'ts-node scripts/lab-run.ts',
  summary:
    'The gate of every lab-changing command: lab state, clash with other labs, libvirt preflight, the per-lab lock;\n' +
    'then it runs <command> and releases the lock when it ends.',
  positionals: `<${COMMANDS.join('|')}> -- <command> [args...]`,
  options: {},
} as const satisfies CliSpec<Record<string, CliOption>>;

/** `<lab|destroy|provision|synth> -- <command...>`: parseArgs stops at `--`, the rest is the child's. */
export function parseLabRunArgs(argv: readonly string[]): { command: LabCommand; child: string[]; help?: string } {
  const a = parseCli(LAB_RUN_CLI, argv);
  const [command, ...child] = a.positionals;
  if (a.help) return { command: 'lab', child: [], help: a.text };
  if (!COMMANDS.includes(command as LabCommand) || !child.length || !argv.includes('--'))
    throw new SwarmLabError(EXIT.usage, `usage: lab-run <${COMMANDS.join('|')}> -- <command> [args...]`);
  return { command: command as LabCommand, child };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseLabRunArgs(argv);
  if (args.help) {
    process.stdout.write(args.help);
    return EXIT.ok;
  }
  const { command, child } = args;
  const say = (l: string) => process.stderr.write(`swarm-lab ${command}: ${l}\n`);
  const lab = resolveLab();
  const dir = labPaths(lab).dir;
  // Read-only checks first: a command refused here changes nothing on disk or in libvirt. After an
  // interrupted command the state may be cut short: it is read once the lock is ours and it is put right.
  const interrupted = staleHolder(dir);
  const before = interrupted ? undefined : requireState(command, lab);
  if (before?.nothing) {
    say(`lab ${lab.name} is ${before.state} (${before.detail}); nothing to destroy`);
    return EXIT.ok;
  }
  if (command === 'lab' || command === 'synth') checkClash(lab);
  if (command === 'lab' || command === 'destroy') {
    checkLibvirtSocket(lab);
    checkRemoteLibvirt(lab);
  }
  const lock = acquireLabLock(lab.name, dir, `npm run ${command}`);
  try {
    if (lock.interrupted) {
      const h = lock.interrupted;
      say(`the previous ${h.command} (pid ${h.pid}, since ${h.since}) was interrupted; converging from its state`);
      recoverInterrupted(dir, say);
    }
    const now = requireState(command, lab);
    // A destroy after an interruption too: what the state does not record would be left behind.
    if (command === 'destroy' && lock.interrupted) removeOrphans(lab, now.stateFile, say);
    if (now.nothing) {
      say(`lab ${lab.name} is ${now.state} (${now.detail}); nothing to destroy`);
      return EXIT.ok;
    }
    say(`lab ${lab.name} is ${now.state} (${now.detail})`);
    if (command === 'lab') {
      removeOrphans(lab, now.stateFile, say);
      register(lab);
    }
    const code = await new Promise<number>((resolve, reject) => {
      const p = spawn(child[0], child.slice(1), { stdio: 'inherit' });
      const forward = (sig: NodeJS.Signals) => p.kill(sig);
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
      p.on('error', (e) => reject(new SwarmLabError(EXIT.env, `${child[0]}: ${e.message}`)));
      p.on('exit', (c, sig) => resolve(c ?? (sig ? 128 + 15 : EXIT.env)));
    });
    if (command === 'destroy' && code === 0) unregister(lab);
    return code;
  } finally {
    lock.release();
  }
}

if (require.main === module) {
  const name = COMMANDS.find((c) => c === process.argv[2]) ?? 'lab-run';
  runMain(name, () => main(process.argv.slice(2)));
}
