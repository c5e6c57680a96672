/**
 * LabNode: one VM of the lab - a copy-on-write disk on the base image, a cloud-init NoCloud seed
 * (built here at synth time into the lab dir, uploaded as a volume) and the libvirt domain.
 *
 * Domain shape: q35 machine with the NIC pinned at PCI 00:05.0 (the guest then names it enp0s5,
 * the seed's interface name), no graphics (serial console on a pty), `kvm` or `qemu` (TCG) as
 * detected. Images with a kernel boot directly (kernel/initrd volumes + cmdline).
 */
import * as path from 'path';
import { Construct, LibvirtDomain, LibvirtVolume } from './cdk';
import type { BaseImage } from './base-image';
import { kernelIpArg, type CloudInitFiles } from './cloud-init';
import type { ConcreteDomainType } from './detect';
import type { ImageSpec, Lab, LabNode as NodeSpec } from './lab';
import type { LabNetwork } from './network';
import { domainName, shortHash } from './names';
import { pruneSeedIsos, writeSeedIso } from './seed-iso';

export interface LabNodeProps {
  readonly lab: Lab;
  readonly node: NodeSpec;
  readonly image: ImageSpec;
  readonly base: BaseImage;
  readonly network: LabNetwork;
  readonly domainType: ConcreteDomainType;
  /** MAC of the lab NIC; must match the one in `cloudInit.networkConfig`. */
  readonly mac: string;
  /** The node's NoCloud documents (stacks/cloud-init.ts). */
  readonly cloudInit: CloudInitFiles;
  /** Directory for seed ISOs and their staged files (`labPaths(lab).cloudInit`). */
  readonly seedDir: string;
  /** Memory in MiB; default `lab.memoryMiB`. */
  readonly memoryMiB?: number;
  /** vCPUs; default `lab.vcpu`. */
  readonly vcpu?: number;
  /** Machine type; default `q35` (needed for the enp0s5 NIC name). */
  readonly machine?: string;
}

/** PCI slot of the lab NIC on bus 0: predictable interface naming turns it into `enp0s5`. */
export const NIC_PCI_SLOT = 5;

/**
 * XSLT applied to the provider's domain XML: pin the first NIC at 00:05.0 and drop graphics
 * (a headless lab; spice would only cost CPU under TCG). The serial console stays.
 */
export function domainXslt(slot = NIC_PCI_SLOT): string {
  const hex = `0x${slot.toString(16).padStart(2, '0')}`;
  return `<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output omit-xml-declaration="yes" indent="yes"/>
  <xsl:template match="node()|@*"><xsl:copy><xsl:apply-templates select="node()|@*"/></xsl:copy></xsl:template>
  <xsl:template match="/domain/devices/interface[1]">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()[not(self::address)]"/>
      <address type="pci" domain="0x0000" bus="0x00" slot="${hex}" function="0x0"/>
    </xsl:copy>
  </xsl:template>
  <xsl:template match="/domain/devices/graphics"/>
  <xsl:template match="/domain/devices/video"/>
</xsl:stylesheet>
`;
}

/**
 * Kernel command line for direct kernel boot: the image's cmdline plus a static `ip=`, in the
 * exact shape the provider reads back from libvirt (it sorts the arguments, then groups
 * `key=value` pairs into one map - a new map at a repeated key - and joins bare flags under
 * `_` in a last map). Any other shape shows a diff on every plan and forces a new VM.
 */
export function kernelCmdline(lab: Lab, node: NodeSpec, image: ImageSpec): Array<Record<string, string>> {
  const args = `${image.cmdline ?? 'root=/dev/vda rw console=ttyS0'} ip=${kernelIpArg(lab, node)}`
    .trim()
    .split(/\s+/)
    .sort();
  const maps: Array<Record<string, string>> = [];
  let cur: Record<string, string> = {};
  const bare: string[] = [];
  for (const a of args) {
    const i = a.indexOf('=');
    if (i < 0) {
      bare.push(a);
      continue;
    }
    const k = a.slice(0, i);
    if (k in cur) {
      maps.push(cur);
      cur = {};
    }
    cur[k] = a.slice(i + 1);
  }
  if (Object.keys(cur).length) maps.push(cur);
  if (bare.length) maps.push({ _: bare.join(' ') });
  return maps;
}

export class LabNode extends Construct {
  readonly domain: LibvirtDomain;
  readonly disk: LibvirtVolume;
  readonly seed: LibvirtVolume;
  /** Path of the seed ISO on the controller (contains the private host key: mode 0600). */
  readonly seedIso: string;
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: LabNodeProps) {
    super(scope, id);
    const { lab, node, image } = props;
    const pool = lab.pool;
    this.domainName = domainName(lab, node);

    // The seed's name carries a hash of its content: changed cloud-init => new volume => new VM.
    const hash = shortHash(props.cloudInit.userData, props.cloudInit.metaData, props.cloudInit.networkConfig);
    this.seedIso = writeSeedIso(
      props.cloudInit,
      path.join(props.seedDir, node.name),
      path.join(props.seedDir, `${node.name}-${hash}.iso`),
    );
    pruneSeedIsos(props.seedDir, node.name, this.seedIso);

    this.disk = new LibvirtVolume(this, 'disk', {
      name: `${this.domainName}.qcow2`,
      pool,
      format: 'qcow2',
      baseVolumeId: props.base.volume.id,
      size: lab.diskGiB * 1024 ** 3,
    });
    this.seed = new LibvirtVolume(this, 'seed', {
      name: `${this.domainName}-seed-${hash}.iso`,
      pool,
      // libvirt probes the upload and reports `iso`; saying so keeps plans free of drift.
      format: 'iso',
      source: this.seedIso,
    });

    const direct = props.base.kernel !== undefined;
    this.domain = new LibvirtDomain(this, 'domain', {
      name: this.domainName,
      description: `swarm-lab ${lab.name}: ${node.name} (${node.role}) ${node.ip}`,
      type: props.domainType,
      machine: props.machine ?? 'q35',
      memory: props.memoryMiB ?? lab.memoryMiB,
      vcpu: props.vcpu ?? lab.vcpu,
      // KVM: expose the host CPU; TCG: QEMU's default model (host-passthrough needs KVM).
      ...(props.domainType === 'kvm' ? { cpu: { mode: 'host-passthrough' } } : {}),
      running: true,
      autostart: false,
      qemuAgent: false,
      // vda: the node's disk, vdb: the cidata seed (cloud-init finds it by label).
      disk: [{ volumeId: this.disk.id }, { volumeId: this.seed.id }],
      networkInterface: [{ networkId: props.network.network.id, mac: props.mac, waitForLease: false }],
      console: [{ type: 'pty', targetPort: '0', targetType: 'serial' }],
      ...(direct
        ? {
            kernel: props.base.kernel.id,
            ...(props.base.initrd ? { initrd: props.base.initrd.id } : {}),
            cmdline: kernelCmdline(lab, node, image),
          }
        : {}),
      xml: { xslt: domainXslt() },
    });
  }
}
