/**
 * Checks on the controller before synth/deploy, each failing with one line that names the fix:
 * local image files exist, and the tools deploy needs are on PATH (xsltproc: the libvirt
 * provider runs it for `xml { xslt }`; an ISO tool for the seed ISOs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { imageOf, type Lab } from './lab';
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
    throw new Error(`image ${img.name}: missing ${missing.join(', ')}; build the lab images first (see e2e/images) or choose another image`);
  }
}

export function checkControllerTools(): void {
  if (!onPath('xsltproc')) {
    throw new Error('xsltproc not found; the libvirt provider needs it to apply the domain XSLT (Debian/Ubuntu: apt-get install xsltproc; Fedora: dnf install libxslt)');
  }
  findIsoTool();
}

export function preflight(lab: Lab, root: string): void {
  checkControllerTools();
  checkLocalImageFiles(lab, root);
}
