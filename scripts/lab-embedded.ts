/**
 * `npm run lab`'s embedded default (stacks/lab-host.ts decides when): the offline lab on a private
 * libvirtd in the lab's own network namespace (e2e/host), left running for the user.
 *   lab-embedded.ts decide   print `system` or `embedded` (a fallback also prints one line saying why)
 *   lab-embedded.ts up       images (built on first use, with progress), host, deploy, client address;
 *                            writes .lab/embedded.env, which `npm run verify|ssh|destroy` then use
 *   lab-embedded.ts down     destroy, host down, then proves nothing is left (netns, qemu, libvirtd)
 * The lab is `swarm-lab` (SWARM_LAB_NAME renames it) on SWARM_LAB_EMBEDDED_FLAVOUR (default bookworm).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { addClientAddress, hostDown, hostProcessEnv, hostUp } from '../e2e/host';
import { FLAVOURS } from '../e2e/images/flavours';
import { offlineLabFile } from '../e2e/offline-lab';
import { decideHost, embeddedFiles, hostFacts, readEmbeddedEnv } from '../stacks/lab-host';
import { labPaths, resolveLab, type Lab } from '../stacks/lab';
import { leftovers } from '../stacks/leftovers';

const ROOT = path.resolve(__dirname, '..');
const LAB_RUN = [process.execPath, '-r', 'ts-node/register/transpile-only', 'scripts/lab-run.ts'];

export const EMBEDDED_CLI = {
  usage: 'ts-node scripts/lab-embedded.ts',
  summary: "npm run lab's embedded default: a private libvirtd in the lab's own netns with the offline image.",
  positionals: '<decide|up|down>',
  options: {},
} as const satisfies CliSpec<Record<string, CliOption>>;

const say = (line: string): void => void process.stderr.write(`swarm-lab lab: ${line}\n`);

/** The embedded lab's file content: the offline lab under the default lab's name (or SWARM_LAB_NAME). */
export function embeddedLabFile(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const flavour = env.SWARM_LAB_EMBEDDED_FLAVOUR || 'debian12-docker20';
  if (!FLAVOURS.some((f) => f.name === flavour))
    throw new SwarmLabError(
      EXIT.usage,
      `SWARM_LAB_EMBEDDED_FLAVOUR=${flavour}: use one of ${FLAVOURS.map((f) => f.name).join(', ')}`,
    );
  return offlineLabFile(env.SWARM_LAB_NAME || 'swarm-lab', flavour);
}

/** Run a command with the terminal (progress goes straight to the user); resolves with its exit code. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, env, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => p.kill(sig);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, forward);
    p.on('error', (e) => reject(new SwarmLabError(EXIT.env, `${cmd}: ${e.message}`)));
    p.on('exit', (c, sig) => {
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, forward);
      resolve(c ?? (sig ? 130 : EXIT.env));
    });
  });
}

function decide(): number {
  const lab = resolveLab();
  const d = decideHost(hostFacts(lab, ROOT));
  if (d.host === 'embedded') {
    const f = embeddedLabFile();
    say(
      `${d.why}; falling back to the embedded lab ${String(f.name)}: a private libvirtd in netns swl-${String(f.name)} with the offline image ${String(f.image)}`,
    );
  }
  process.stdout.write(`${d.host}\n`);
  return EXIT.ok;
}

async function up(): Promise<number> {
  const files = embeddedFiles(ROOT);
  fs.mkdirSync(path.dirname(files.labFile), { recursive: true, mode: 0o700 });
  const content = embeddedLabFile();
  fs.writeFileSync(files.labFile, JSON.stringify(content, null, 2) + '\n');
  const lab = resolveLab({ file: files.labFile, env: {} });
  say(`images: ${lab.image} and the web service image (built on first use, ~10-20 min; cached after)`);
  let code = await run('bash', ['e2e/images/build.sh', lab.image, 'web'], process.env);
  if (code !== 0)
    throw new SwarmLabError(EXIT.env, `building the offline image ${lab.image} failed (exit ${code})`, {
      fix: 'see the [images] lines above; bash e2e/images/build.sh needs the Debian mirror',
    });
  const host = await hostUp({ lab: lab.name, root: ROOT, timeoutS: 300 });
  say(`host: netns ${host.netns}, libvirtd ${host.libvirtUri}`);
  const env = { ...process.env, SWARM_LAB_FILE: files.labFile, ...hostProcessEnv(host), CHECKPOINT_DISABLE: '1' };
  // Written before deploy: a deploy that fails half-way is still torn down by npm run destroy.
  writeEnv(files.env, { ...hostProcessEnv(host), SWARM_LAB_FILE: files.labFile, SWARM_LAB_EMBEDDED: lab.name });
  const lock = process.env.SWARM_LAB_SYSTEM_TF === '1' ? [] : ['--skip-provider-lock'];
  code = await run(
    'ip',
    ['netns', 'exec', host.netns, ...LAB_RUN, 'lab', '--', 'npx', 'cdktf', 'deploy', '--auto-approve', ...lock],
    env,
  );
  if (code !== 0) return code;
  addClientAddress({
    lab: lab.name,
    root: ROOT,
    network: lab.network.name,
    address: `${lab.network.clientIp}/${lab.network.cidr.split('/')[1]}`,
  });
  return EXIT.ok;
}

function writeEnv(file: string, vars: Record<string, string>): void {
  const text = Object.entries(vars)
    .map(([k, v]) => `export ${k}='${v}'`)
    .join('\n');
  fs.writeFileSync(
    file,
    `# the embedded lab of npm run lab (scripts/lab-embedded.ts); npm run destroy removes it\n${text}\n`,
    {
      mode: 0o600,
    },
  );
}

/** The running embedded lab: its lab and exports; undefined when none is deployed. */
function active(): { lab: Lab; env: Record<string, string> } | undefined {
  const files = embeddedFiles(ROOT);
  const env = readEmbeddedEnv(files.env);
  if (!env?.SWARM_LAB_FILE) return undefined;
  return { lab: resolveLab({ file: env.SWARM_LAB_FILE, env: {} }), env };
}

async function down(): Promise<number> {
  const a = active();
  if (!a) {
    say('no embedded lab is deployed; nothing to destroy');
    return EXIT.ok;
  }
  const { lab, env } = a;
  const netns = env.SWARM_LAB_NETNS;
  const nsUp = fs.existsSync(`/run/netns/${netns}`);
  if (nsUp) {
    // The same gate and cdktf destroy as scripts/destroy.sh, inside the lab's netns with its libvirtd.
    const code = await run('ip', ['netns', 'exec', netns, 'bash', 'scripts/destroy.sh'], { ...process.env, ...env });
    if (code !== 0) say(`cdktf destroy exited ${code}; the host teardown removes what is left`);
  }
  await hostDown({ lab: lab.name, root: ROOT, timeoutS: 300 });
  const state = path.join(labPaths(lab, ROOT).dir, 'terraform.tfstate');
  for (const f of [state, `${state}.backup`]) fs.rmSync(f, { force: true });
  const left = leftovers(lab, netns);
  if (left.length)
    throw new SwarmLabError(EXIT.env, `embedded lab ${lab.name}: left behind: ${left.join('; ')}`, {
      fix: `bash e2e/host/down.sh ${lab.name}`,
    });
  const files = embeddedFiles(ROOT);
  fs.rmSync(files.env, { force: true });
  fs.rmSync(files.labFile, { force: true });
  say(`embedded lab ${lab.name} destroyed: no domain, network, namespace, qemu or libvirtd of it left`);
  return EXIT.ok;
}

async function main(argv: readonly string[]): Promise<number> {
  const a = parseCli(EMBEDDED_CLI, argv);
  if (a.help) {
    process.stdout.write(a.text);
    return EXIT.ok;
  }
  const [cmd, ...rest] = a.positionals;
  if (rest.length || !['decide', 'up', 'down'].includes(cmd ?? ''))
    throw new SwarmLabError(EXIT.usage, `name one of decide, up, down (got ${a.positionals.join(' ') || 'nothing'})`);
  if (cmd === 'decide') return decide();
  return cmd === 'up' ? up() : down();
}

if (require.main === module) runMain('lab', () => main(process.argv.slice(2)));
