/**
 * Build a cloud-init NoCloud seed ISO (volume label `cidata` with user-data, meta-data,
 * network-config) at synth time, on the controller.
 *
 * Why an ISO file and not `libvirt_cloudinit_disk`: that resource keeps user-data in Terraform
 * state, and our user-data carries each node's private host key. The ISO is uploaded with
 * `libvirt_volume { source = <path> }`, so state holds only its path.
 *
 * Why an external mastering tool: genisoimage/xorriso are the tools cloud-init's own
 * `cloud-localds` uses, packaged everywhere libvirt is; writing ISO 9660 + Joliet + Rock Ridge
 * ourselves would be more code to get subtly wrong than the dependency costs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { CloudInitFiles } from './cloud-init';

interface IsoTool {
  readonly bin: string;
  readonly args: (out: string, files: string[]) => string[];
}

const TOOLS: readonly IsoTool[] = [
  { bin: 'genisoimage', args: (o, f) => ['-quiet', '-output', o, '-volid', 'cidata', '-joliet', '-rock', ...f] },
  { bin: 'mkisofs', args: (o, f) => ['-quiet', '-output', o, '-volid', 'cidata', '-joliet', '-rock', ...f] },
  {
    bin: 'xorriso',
    args: (o, f) => ['-as', 'mkisofs', '-quiet', '-output', o, '-volid', 'cidata', '-joliet', '-rock', ...f],
  },
];

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, bin)));
}

/** The first ISO mastering tool on PATH, or an error naming the packages that provide one. */
export function findIsoTool(): IsoTool {
  const t = TOOLS.find((x) => onPath(x.bin));
  if (!t) {
    throw new Error(
      'cannot build cloud-init seed ISOs: none of genisoimage, mkisofs, xorriso is on PATH; ' +
        'install one (Debian/Ubuntu: apt-get install genisoimage; Fedora: dnf install xorriso)',
    );
  }
  return t;
}

/**
 * Write `files` into `<stageDir>/` (mode 0600: user-data holds a private host key) and master
 * them into `isoPath` (mode 0600). Skips the work when `isoPath` exists: callers put a content
 * hash into the file name, so an existing file has the right content.
 */
export function writeSeedIso(files: CloudInitFiles, stageDir: string, isoPath: string): string {
  if (fs.existsSync(isoPath)) return isoPath;
  fs.mkdirSync(stageDir, { recursive: true, mode: 0o700 });
  const named: Record<string, string> = {
    'user-data': files.userData,
    'meta-data': files.metaData,
    'network-config': files.networkConfig,
  };
  for (const [name, text] of Object.entries(named)) {
    const f = path.join(stageDir, name);
    fs.writeFileSync(f, text, { mode: 0o600 });
    fs.chmodSync(f, 0o600);
  }
  const tool = findIsoTool();
  const tmp = `${isoPath}.${process.pid}.tmp`;
  const args = tool.args(tmp, Object.keys(named));
  const r = spawnSync(tool.bin, args, { cwd: stageDir, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(
      `building seed ISO ${isoPath} failed: ${tool.bin} ${args.join(' ')} (cwd ${stageDir}) exited ` +
        `${r.status ?? r.signal}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, isoPath);
  return isoPath;
}

/**
 * Remove seed ISOs of `node` other than `keep` (older content hashes). Their volumes are replaced
 * on the next deploy anyway, and each holds a private host key, so they should not pile up.
 */
export function pruneSeedIsos(seedDir: string, node: string, keep: string): void {
  const re = new RegExp(`^${node.replace(/[-.]/g, '\\$&')}-[0-9a-f]{12}\\.iso$`);
  for (const f of fs.existsSync(seedDir) ? fs.readdirSync(seedDir) : []) {
    if (re.test(f) && path.join(seedDir, f) !== keep) fs.rmSync(path.join(seedDir, f), { force: true });
  }
}
