/**
 * The lab an exercise or the tour works on, and a shell on one of its nodes: OpenSSH inside the lab's
 * network namespace (lab addresses exist only there), the lab's key, host keys pinned (StrictHostKeyChecking=yes).
 * `--lab <name>` finds a workshop lab (.workshop/<ws>/labs/<name>/); without it SWARM_LAB_FILE and
 * SWARM_LAB_NETNS name any lab (e.g. an e2e lab kept with --keep).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';
import { imageOf, labPaths, resolveLab, type Lab, type LabNode } from '../stacks/lab';
import { sshArgs } from '../stacks/ssh-args';
import { labContext, type LabContext } from '../workshop/lab-work';
import { hostProcessEnv } from '../e2e/host';
import { toolchainEnv } from '../e2e/run';
import { listWorkshops, labFilePath, ROOT } from '../workshop/state';

/** A workshop lab by name, or the lab of SWARM_LAB_FILE in SWARM_LAB_NETNS. */
export function findLab(name: string | undefined, env: NodeJS.ProcessEnv = process.env, root = ROOT): LabContext {
  if (name) {
    const ws = listWorkshops(root).find((w) => fs.existsSync(labFilePath(w, name, root)));
    if (ws) return labContext(ws, name, root);
    throw new SwarmLabError(EXIT.usage, `--lab ${name}: no workshop lab of that name`, {
      fix: 'npm run workshop -- status lists the labs; or set SWARM_LAB_FILE and SWARM_LAB_NETNS',
    });
  }
  const file = env.SWARM_LAB_FILE;
  const netns = env.SWARM_LAB_NETNS;
  if (!file || !netns)
    throw new SwarmLabError(EXIT.usage, 'which lab? give --lab <workshop lab>, or SWARM_LAB_FILE and SWARM_LAB_NETNS', {
      fix: 'e.g. --lab ws-1',
    });
  const lab = resolveLab({ file, env: {} });
  const host = {
    name: netns,
    key: netns.replace(/^swl-/, ''),
    netns,
    libvirtUri: env.SWARM_LAB_LIBVIRT_URI ?? lab.libvirtUri,
    pool: env.SWARM_LAB_POOL ?? lab.pool,
    hostDir: env.SWARM_LAB_HOST_DIR ?? '',
    capacity: { host: netns, machine: '', cpus: 0, memoryMiB: 0, availableMiB: 0, diskFreeGiB: 0 },
  };
  const dir = path.join(labPaths(lab, root).dir, 'exercise');
  fs.mkdirSync(dir, { recursive: true });
  return {
    ws: '',
    lab,
    labFile: path.resolve(file),
    host,
    dir,
    env: { ...process.env, ...toolchainEnv(), SWARM_LAB_FILE: path.resolve(file), ...hostProcessEnv(host) },
  };
}

export interface ShellResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The ssh argv (after `ip netns exec <ns>`) a script uses to reach `node` (stacks/ssh-args.ts), no prompts. */
function sshArgv(lab: Lab, node: LabNode, command: string, root = ROOT): string[] {
  return ['ssh', ...sshArgs(lab, node.name, [command], undefined, root, true)];
}

/** Run a shell script as root on `node` (fed on stdin, so no quoting layers); bounded in time. */
export function onNode(c: LabContext, node: LabNode, script: string, timeoutS = 60): ShellResult {
  const root = imageOf(c.lab).sshUser === 'root';
  const r = spawnSync(
    'ip',
    ['netns', 'exec', c.host.netns, ...sshArgv(c.lab, node, root ? 'bash -s' : 'sudo -n bash -s')],
    { input: script, encoding: 'utf8', timeout: timeoutS * 1000 },
  );
  if (r.error && r.status === null)
    throw new SwarmLabError(EXIT.env, `${node.name} (${node.ip}): ssh failed: ${r.error.message}`, {
      subject: node.name,
    });
  if (r.status === 255)
    throw new SwarmLabError(
      EXIT.env,
      `${node.name} (${node.ip}) in ${c.host.netns}: ssh failed: ${(r.stderr ?? '').trim()}`,
      {
        subject: node.name,
        fix: 'is the lab up? npm run workshop -- status',
      },
    );
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** onNode, without blocking: for a bounded capture that runs while traffic is sent. */
export function onNodeAsync(c: LabContext, node: LabNode, script: string, timeoutS = 60): Promise<ShellResult> {
  const root = imageOf(c.lab).sshUser === 'root';
  return new Promise((resolve) => {
    const p = spawn(
      'ip',
      ['netns', 'exec', c.host.netns, ...sshArgv(c.lab, node, root ? 'bash -s' : 'sudo -n bash -s')],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGTERM'), timeoutS * 1000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    p.stdin.end(script);
  });
}

/** A command on this machine inside the lab's namespace (the client side: curl). */
export function inLabNs(c: LabContext, command: string, timeoutS = 20): ShellResult {
  const r = spawnSync('ip', ['netns', 'exec', c.host.netns, 'sh', '-c', command], {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
  });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
