/**
 * Shared bits of the Ansible tests: the labs they generate inventories for (through the stacks'
 * own generator, so the tests follow the real link), and a runner for the Ansible CLIs with
 * ANSIBLE_CONFIG set as scripts/provision.sh sets it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { labPaths, resolveLab, type Lab, type LabOverrides } from '../../stacks/lab';
import { writeInventory } from '../../stacks/inventory';

export const REPO = path.resolve(__dirname, '../..');
export const ANSIBLE_DIR = path.join(REPO, 'ansible');
export const SITE = path.join(ANSIBLE_DIR, 'site.yml');

export interface LabCase {
  readonly label: string;
  readonly overrides: LabOverrides;
}

/** The default lab, the offline Debian lab the e2e run uses, and a two-manager variant. */
export const LAB_CASES: readonly LabCase[] = [
  { label: 'default CentOS 7.9 lab', overrides: {} },
  {
    label: 'offline Debian 12 lab',
    overrides: { image: 'debian12-docker20', firewall: 'open-ports', service: { image: 'local:swarm-lab-web:1' } },
  },
  {
    label: 'two managers, 5 replicas on 4 nodes, data path port 4790',
    overrides: {
      image: 'debian13-docker26',
      dataPathPort: 4790,
      nodes: [
        { name: 'node-a', ip: '10.211.55.10', role: 'manager' },
        { name: 'node-b', ip: '10.211.55.11', role: 'manager' },
        { name: 'node-c', ip: '10.211.55.12', role: 'worker' },
        { name: 'node-d', ip: '10.211.55.13', role: 'worker' },
      ],
      service: { replicas: 5 },
    },
  },
];

export interface WrittenLab {
  readonly lab: Lab;
  readonly inventory: string;
  /** The inventory as YAML data (what the stacks wrote). */
  readonly doc: { all: { vars: Record<string, unknown>; children: Record<string, unknown> } };
}

/** Resolve the case's lab (ignoring the caller's SWARM_LAB_* env) and write its inventory under `dir`. */
export function writeLabInventory(c: LabCase, dir: string): WrittenLab {
  const lab = resolveLab({ env: {}, context: { ...c.overrides, labDir: path.join(dir, 'lab') } });
  const inventory = writeInventory(lab, labPaths(lab, REPO), REPO);
  return { lab, inventory, doc: YAML.parse(fs.readFileSync(inventory, 'utf8'), { version: '1.1' }) };
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run an Ansible CLI (never against a host: callers use --syntax-check, --list-*, local debug). */
export function ansible(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO): CliResult {
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ...env },
    timeout: 120_000,
  });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Fail with the command's output when it did not exit 0. */
export function expectOk(r: CliResult, what: string): void {
  if (r.status !== 0) {
    throw new Error(`${what} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
}
