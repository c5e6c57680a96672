/**
 * `npm run e2e:intent`: the intent checks of verify on a LIVE lab, the way a user breaks them.
 * Each scenario changes one side only (the swarm, or the lab file), runs the real `verify`, and
 * expects exit 1 with the scenario's intent check failing; the swarm is then put back and the
 * last run must PASS again. Run it inside the lab's namespace (every lab address lives there):
 *
 *   ip netns exec swl-<lab> env SWARM_LAB_FILE=<lab.json> npm run e2e:intent -- [--out dir]
 *
 * Scenarios: the service scaled down (intent.service.replicas), its published port moved
 * (intent.service.ports), a lab file naming another dockerVersion (intent.engine.version).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { imageOf, labPaths, resolveLab, type Lab } from '../stacks/lab';
import { readUserKey } from '../verify/cli';
import { loadLabPins } from '../verify/hostkeys';
import { SshPool } from '../verify/ssh';

const ROOT = path.resolve(__dirname, '..');

const INTENT_CLI = {
  usage: 'npm run e2e:intent --',
  summary:
    'On a live lab (run inside its namespace): break the service or the lab file one way at a time, expect verify to FAIL naming the intent check, put it back, expect PASS.',
  options: {
    'lab-file': { type: 'string', value: 'file', help: 'lab file (default env SWARM_LAB_FILE)' },
    out: {
      type: 'string',
      value: 'dir',
      help: 'where each verify run writes its reports (default .lab/<lab>/intent-live)',
    },
    paths: { type: 'string', value: 'id,...', default: 'ingress', help: 'paths each verify run proves' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

interface Scenario {
  readonly name: string;
  /** The intent check that must fail. */
  readonly check: string;
  /** Change the swarm (on the first manager) before verify; undone by `undo`. */
  readonly change?: string;
  readonly undo?: string;
  /** Change the lab file verify reads instead (the swarm stays as deployed). */
  readonly labEdit?: (lab: Record<string, unknown>, deployed: Lab) => Record<string, unknown>;
}

/**
 * Another engine version than the nodes run that a lab file can still name (an offline flavour's or
 * CentOS's): the lab the user meant to build, not the one that was deployed.
 */
function otherVersion(v: string): string {
  return v === '26.1.5' ? '28.5.2' : '26.1.5';
}

export function scenarios(lab: Lab): Scenario[] {
  const s = lab.service;
  const moved = s.publishedPort + 1;
  return [
    {
      name: `scale ${s.name} to ${s.replicas - 1}`,
      check: 'intent.service.replicas',
      change: `docker service scale -d ${s.name}=${s.replicas - 1}`,
      undo: `docker service scale ${s.name}=${s.replicas}`,
    },
    {
      name: `move the published port ${s.publishedPort} -> ${moved}`,
      check: 'intent.service.ports',
      change: `docker service update -d --publish-rm published=${s.publishedPort},target=${s.targetPort} --publish-add published=${moved},target=${s.targetPort} ${s.name}`,
      undo: `docker service update --publish-rm published=${moved},target=${s.targetPort} --publish-add published=${s.publishedPort},target=${s.targetPort} ${s.name}`,
    },
    {
      name: `lab file says dockerVersion ${otherVersion(lab.dockerVersion)}`,
      check: 'intent.engine.version',
      // `image: debian` picks the offline flavour by dockerVersion, so the file stays valid.
      labEdit: (raw) => ({
        ...raw,
        image: raw.image === 'centos7.9' ? raw.image : 'debian',
        dockerVersion: otherVersion(lab.dockerVersion),
      }),
    },
  ];
}

interface VerifyRun {
  readonly code: number;
  readonly failed: string[];
  readonly seconds: number;
  readonly dir: string;
}

function verify(labFile: string, dir: string, paths: string): VerifyRun {
  const t0 = Date.now();
  const r = spawnSync(
    'node',
    ['-r', 'ts-node/register/transpile-only', 'verify/cli.ts', '--lab-file', labFile, '--out', dir, '--paths', paths],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' }, timeout: 900_000 },
  );
  fs.writeFileSync(path.join(dir, 'verify.log'), `${r.stdout}\n${r.stderr}`);
  const vj = path.join(dir, 'verdict.json');
  const failed = fs.existsSync(vj)
    ? (JSON.parse(fs.readFileSync(vj, 'utf8')) as { verdict: { intent?: Array<{ id: string; ok: boolean }> } }).verdict
        .intent!.filter((c) => !c.ok)
        .map((c) => c.id)
    : [];
  return { code: r.status ?? -1, failed, seconds: Math.round((Date.now() - t0) / 100) / 10, dir };
}

async function main(): Promise<number> {
  const a = parseCli(INTENT_CLI, process.argv.slice(2));
  if (a.help) {
    process.stdout.write(a.text);
    return EXIT.ok;
  }
  const labFile = a.values['lab-file'] ?? process.env.SWARM_LAB_FILE;
  if (!labFile)
    throw new SwarmLabError(EXIT.usage, 'no lab file', { fix: 'pass --lab-file <file> or set SWARM_LAB_FILE' });
  const lab = resolveLab({ file: labFile });
  const p = labPaths(lab, ROOT);
  const out = path.resolve(a.values.out ?? path.join(p.dir, 'intent-live'));
  fs.mkdirSync(out, { recursive: true });
  const manager = lab.nodes.find((n) => n.role === 'manager')!;
  const pool = new SshPool([{ node: manager.name, host: manager.ip }], {
    user: imageOf(lab).sshUser,
    privateKey: readUserKey(lab),
    pins: loadLabPins(p.knownHosts, p.hostKeys, lab.nodes),
    connectTimeoutMs: 15_000,
    bootWaitMs: 60_000,
  });
  const say = (l: string) => process.stdout.write(`[intent-live] ${l}\n`);
  const results: Array<{ scenario: string; check: string; code: number; failed: string[]; seconds: number }> = [];
  let bad = 0;
  try {
    for (const [i, sc] of scenarios(lab).entries()) {
      const dir = path.join(out, `${i + 1}-${sc.check}`);
      fs.mkdirSync(dir, { recursive: true });
      let file = labFile;
      if (sc.labEdit) {
        const raw = JSON.parse(fs.readFileSync(labFile, 'utf8')) as Record<string, unknown>;
        file = path.join(dir, 'lab.json');
        fs.writeFileSync(file, JSON.stringify(sc.labEdit(raw, lab), null, 2));
      }
      say(`${sc.name}: ${sc.change ?? `verify with ${file}`}`);
      if (sc.change) await pool.exec(manager.name, sc.change, { timeoutMs: 300_000 });
      let r: VerifyRun;
      try {
        r = verify(file, dir, a.values.paths);
      } finally {
        // Put the swarm back whatever verify did; a failed undo is named, it never passes silently.
        if (sc.undo) await pool.exec(manager.name, sc.undo, { timeoutMs: 600_000 });
      }
      const ok = r.code === EXIT.fail && r.failed.includes(sc.check);
      if (!ok) bad++;
      say(
        `${ok ? 'ok  ' : 'BAD '} ${sc.check}: verify exit ${r.code} in ${r.seconds} s, failed intent checks: ${r.failed.join(', ') || 'none'} (reports ${r.dir})`,
      );
      results.push({ scenario: sc.name, check: sc.check, code: r.code, failed: r.failed, seconds: r.seconds });
    }
    const dir = path.join(out, `${results.length + 1}-restored`);
    fs.mkdirSync(dir, { recursive: true });
    const r = verify(labFile, dir, a.values.paths);
    const ok = r.code === EXIT.ok && !r.failed.length;
    if (!ok) bad++;
    say(`${ok ? 'ok  ' : 'BAD '} restored: verify exit ${r.code} in ${r.seconds} s (reports ${r.dir})`);
    results.push({ scenario: 'restored', check: '', code: r.code, failed: r.failed, seconds: r.seconds });
  } finally {
    await pool.close();
    fs.writeFileSync(path.join(out, 'intent-live.json'), JSON.stringify({ lab: lab.name, results }, null, 2) + '\n');
  }
  say(
    `${bad ? `${bad} scenario(s) did not behave` : 'every scenario behaved'}; summary ${path.join(out, 'intent-live.json')}`,
  );
  return bad ? EXIT.fail : EXIT.ok;
}

if (require.main === module) runMain('e2e:intent', main);
