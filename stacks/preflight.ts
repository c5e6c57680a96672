/**
 * Checks on the controller before synth/deploy, each failing with one line that names the fix:
 * local image files exist, and the tools deploy needs are on PATH (xsltproc: the libvirt
 * provider runs it for `xml { xslt }`; an ISO tool for the seed ISOs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';
import { serviceImageTarball } from './inventory';
import { imageOf, LabConfigError, type Lab } from './lab';
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
  const m = /^qemu(?:\+unix)?:\/\/\/(system|session)(?:\?(.*))?$/.exec(lab.libvirtUri);
  if (!m) return; // remote URIs (qemu+ssh, qemu+tcp) are checked by the provider
  const socket =
    new URLSearchParams(m[2] ?? '').get('socket') ??
    (m[1] === 'system'
      ? '/var/run/libvirt/libvirt-sock'
      : path.join(process.env.XDG_RUNTIME_DIR ?? '/run/user/0', 'libvirt', 'libvirt-sock'));
  if (!exists(socket)) {
    throw new SwarmLabError(
      EXIT.env,
      `libvirtUri ${lab.libvirtUri}: no libvirtd socket at ${socket}; start libvirtd (systemctl start libvirtd, or e2e/host/up.sh for a private one) or set SWARM_LAB_LIBVIRT_URI`,
    );
  }
}

export function preflight(lab: Lab, root: string): void {
  checkControllerTools();
  checkLocalImageFiles(lab, root);
  checkServiceImageTarball(lab, root);
}
