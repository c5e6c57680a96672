/**
 * Checks on the controller before synth/deploy, each failing with one line that names the fix:
 * local image files exist, and the tools deploy needs are on PATH (xsltproc: the libvirt
 * provider runs it for `xml { xslt }`; an ISO tool for the seed ISOs).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';
import { serviceImageTarball } from './inventory';
import { imageOf, LabConfigError, type Lab } from './lab';
import { localSocket } from './lab-host';
import { findIsoTool } from './seed-iso';

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, bin)));
}

/** Local images (the Debian lab images) must be built before deploy; URL images are fetched then. */
export function checkLocalImageFiles(lab: Lab, root: string): void {
  const img = imageOf(lab);
  const files = [img.source, img.kernel, img.initrd].filter((f): f is string => !!f && !/^https?:\/\//.test(f));
  const missing = files.map((f) => path.resolve(root, f)).filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new SwarmLabError(
      EXIT.env,
      `image ${img.name}: missing ${missing.join(', ')}; build the lab images first (see e2e/images) or choose another image`,
    );
  }
}

/** A `local:` service image is loaded from a tarball on the controller: it must exist before VMs boot. */
export function checkServiceImageTarball(lab: Lab, root: string): void {
  const tar = serviceImageTarball(lab, root);
  if (tar && !fs.existsSync(tar)) {
    throw new LabConfigError(
      'service.imageTarball',
      `${tar} does not exist (service.image ${lab.service.image}); build it (bash e2e/images/build.sh) or set service.imageTarball`,
    );
  }
}

export function checkControllerTools(): void {
  if (!onPath('xsltproc')) {
    throw new SwarmLabError(
      EXIT.env,
      'xsltproc not found; the libvirt provider needs it to apply the domain XSLT (Debian/Ubuntu: apt-get install xsltproc; Fedora: dnf install libxslt)',
    );
  }
  findIsoTool();
}

/**
 * A local libvirt URI whose socket is absent: say so before the provider fails deep in a plan.
 * Run by scripts/lab.sh before deploy (not at synth: synth needs no libvirtd).
 */
export function checkLibvirtSocket(lab: Lab, exists: (p: string) => boolean = fs.existsSync): void {
  const socket = localSocket(lab.libvirtUri);
  if (!socket) return; // remote URIs (qemu+ssh, qemu+tcp) are checked by the provider
  if (!exists(socket)) {
    throw new SwarmLabError(
      EXIT.env,
      `libvirtUri ${lab.libvirtUri}: no libvirtd socket at ${socket}; start libvirtd (systemctl start libvirtd, or e2e/host/up.sh for a private one) or set SWARM_LAB_LIBVIRT_URI`,
    );
  }
}

/**
 * A qemu+ssh:// URI: the SSH key and the host's known_hosts entry libvirt's ssh will need, checked on
 * disk (no connection) so the fix comes in one line before the provider prints a whole plan.
 */
export function checkRemoteLibvirt(lab: Lab, home = os.homedir(), run = spawnSync): void {
  let url: URL;
  try {
    url = new URL(lab.libvirtUri);
  } catch {
    return;
  }
  if (url.protocol !== 'qemu+ssh:') return;
  const q = url.searchParams;
  const host = url.hostname;
  const who = `${url.username ? `${url.username}@` : ''}${host}`;
  const subject = `libvirtUri ${lab.libvirtUri}`;
  const keyfile = q.get('keyfile');
  const keys = keyfile ? [keyfile] : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => path.join(home, '.ssh', k));
  if (!keys.some((k) => fs.existsSync(k)) && !process.env.SSH_AUTH_SOCK) {
    throw new SwarmLabError(EXIT.env, `${subject}: no SSH key for ${who} (${keys.join(', ')}; no ssh-agent)`, {
      subject,
      fix: keyfile
        ? `point keyfile= at an existing private key`
        : `ssh-keygen -t ed25519 && ssh-copy-id ${who}, or add ?keyfile=/path/to/key`,
    });
  }
  if (q.get('no_verify') === '1') return;
  const knownHosts = q.get('known_hosts') ?? path.join(home, '.ssh', 'known_hosts');
  const entry = url.port && url.port !== '22' ? `[${host}]:${url.port}` : host;
  const found =
    fs.existsSync(knownHosts) && run('ssh-keygen', ['-F', entry, '-f', knownHosts], { encoding: 'utf8' }).status === 0;
  if (!found) {
    throw new SwarmLabError(EXIT.env, `${subject}: ${entry} is not in ${knownHosts}`, {
      subject,
      fix: `ssh ${url.port ? `-p ${url.port} ` : ''}${who} true once and check the host key fingerprint, or add ?known_hosts=/path`,
    });
  }
}

export function preflight(lab: Lab, root: string): void {
  checkControllerTools();
  checkLocalImageFiles(lab, root);
  checkServiceImageTarball(lab, root);
}
