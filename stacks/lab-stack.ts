/**
 * LabStack: the whole lab as one CDKTF stack - network, base image, one LabNode per node, the
 * Ansible step, outputs - plus the controller-side files synth writes into the lab dir
 * (keys, known_hosts, inventory, seed ISOs). State lives in `<labDir>/terraform.tfstate`, so
 * labs with different names never share state.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AnsibleProvision } from './ansible-provision';
import { BaseImage } from './base-image';
import { Construct, LibvirtProvider, LocalBackend, TerraformOutput, TerraformStack } from './cdk';
import { cloudInitFor, type CloudInitFiles } from './cloud-init';
import { detectDomainType, type ConcreteDomainType, type DomainTypeVerdict } from './detect';
import { writeInventory } from './inventory';
import { ensureHostKeys, ensureUserKey, writeKnownHosts, type HostKey } from './keys';
import { IMAGES, imageOf, labPaths, type Lab, type LabPaths } from './lab';
import { LabNode } from './lab-node';
import { macsOf } from './names';
import { LabNetwork } from './network';

export interface LabStackProps {
  readonly lab: Lab;
  /** Repository root; relative paths (lab dir, images, tools/, ansible/) resolve against it. Default cwd. */
  readonly root?: string;
  /** Concrete domain type. Default: `lab.domainType`, with `auto` probed by stacks/detect.ts. */
  readonly domainType?: ConcreteDomainType;
  /** Add the Ansible step (terraform_data + local-exec). Default true. */
  readonly provision?: boolean;
  /** Playbook for the Ansible step, relative to `root`; default `ansible/site.yml`. */
  readonly playbook?: string;
}

/** Controller-side material of a lab, created or reused at synth. */
export interface LabMaterial {
  readonly paths: LabPaths;
  readonly userPublicKey: string;
  readonly hostKeys: readonly HostKey[];
  readonly macs: ReadonlyMap<string, string>;
  readonly cloudInit: ReadonlyMap<string, CloudInitFiles>;
}

/** Create (or reuse) keys, known_hosts, inventory and per-node cloud-init documents. */
export function prepareLabMaterial(lab: Lab, root: string): LabMaterial {
  const paths = labPaths(lab, root);
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(paths.dir, 0o700);
  const user = ensureUserKey(lab, paths);
  const hostKeys = ensureHostKeys(lab, paths);
  writeKnownHosts(lab, paths, hostKeys);
  writeInventory(lab, paths, root);
  const macs = macsOf(lab);
  const image = imageOf(lab);
  const cloudInit = new Map<string, CloudInitFiles>();
  for (const node of lab.nodes) {
    const hk = hostKeys.find((h) => h.node === node.name)!;
    cloudInit.set(
      node.name,
      cloudInitFor({
        lab,
        node,
        image,
        mac: macs.get(node.name)!,
        userPublicKey: user.publicKey,
        hostKey: { privateKey: fs.readFileSync(hk.privatePath, 'utf8'), publicKey: hk.publicKey },
      }),
    );
  }
  return { paths, userPublicKey: user.publicKey, hostKeys, macs, cloudInit };
}

/** Resolve the lab's domain type, probing for `auto` (cached in the lab dir). */
export function resolveDomainType(lab: Lab, root: string): DomainTypeVerdict {
  const kernels = Object.values(IMAGES)
    .map((i) => i.kernel)
    .filter((k): k is string => !!k)
    .map((k) => path.resolve(root, k));
  const own = imageOf(lab).kernel;
  return detectDomainType({
    requested: lab.domainType,
    libvirtUri: lab.libvirtUri,
    cacheFile: path.join(labPaths(lab, root).dir, 'domain-type.json'),
    kernels: own ? [path.resolve(root, own), ...kernels] : kernels,
  });
}

export class LabStack extends TerraformStack {
  readonly lab: Lab;
  readonly domainType: ConcreteDomainType;
  readonly material: LabMaterial;
  readonly network: LabNetwork;
  readonly base: BaseImage;
  readonly nodes: readonly LabNode[];
  readonly provision?: AnsibleProvision;

  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id);
    const lab = props.lab;
    const root = path.resolve(props.root ?? process.cwd());
    this.lab = lab;
    this.domainType = props.domainType ?? resolveDomainType(lab, root).type;
    const image = imageOf(lab);
    const m = prepareLabMaterial(lab, root);
    this.material = m;

    new LocalBackend(this, { path: path.join(m.paths.dir, 'terraform.tfstate') });
    new LibvirtProvider(this, 'libvirt', { uri: lab.libvirtUri });

    this.network = new LabNetwork(this, 'network', { lab });
    this.base = new BaseImage(this, 'image', { labName: lab.name, image, pool: lab.pool, root });
    this.nodes = lab.nodes.map(
      (node) =>
        new LabNode(this, `node-${node.name}`, {
          lab,
          node,
          image,
          base: this.base,
          network: this.network,
          domainType: this.domainType,
          mac: m.macs.get(node.name)!,
          cloudInit: m.cloudInit.get(node.name)!,
          seedDir: m.paths.cloudInit,
        }),
    );

    if (props.provision ?? true) {
      this.provision = new AnsibleProvision(this, 'ansible', {
        inventory: m.paths.inventory,
        playbook: props.playbook ?? 'ansible/site.yml',
        workingDir: root,
        nodeIds: this.nodes.map((n) => n.domain.id),
        dockerVersion: lab.dockerVersion,
        service: lab.service,
        extraTriggers: { image: image.name },
        dependsOn: this.nodes.map((n) => n.domain),
      });
    }

    const fp = Object.fromEntries(m.hostKeys.map((h) => [h.node, h.fingerprint]));
    new TerraformOutput(this, 'node_names', { value: lab.nodes.map((n) => n.name), description: 'Lab node hostnames' });
    new TerraformOutput(this, 'node_ips', {
      value: Object.fromEntries(lab.nodes.map((n) => [n.name, n.ip])),
      description: 'Node underlay addresses',
    });
    new TerraformOutput(this, 'node_roles', { value: Object.fromEntries(lab.nodes.map((n) => [n.name, n.role])) });
    new TerraformOutput(this, 'domains', {
      value: Object.fromEntries(this.nodes.map((n, i) => [lab.nodes[i].name, n.domainName])),
    });
    new TerraformOutput(this, 'ssh_user', { value: image.sshUser });
    new TerraformOutput(this, 'host_key_fingerprints', { value: fp, description: 'Pinned ed25519 host keys (SHA256)' });
    new TerraformOutput(this, 'inventory', { value: m.paths.inventory });
    new TerraformOutput(this, 'known_hosts', { value: m.paths.knownHosts });
    new TerraformOutput(this, 'ssh_private_key_file', {
      value: m.paths.userKey,
      description: 'Path only; the key never enters state',
    });
    new TerraformOutput(this, 'bridge', { value: this.network.bridge });
    new TerraformOutput(this, 'domain_type', { value: this.domainType });
  }
}
