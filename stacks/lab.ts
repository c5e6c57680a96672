/**
 * The lab model: one typed, validated description of a lab. It is the single
 * source for the CDKTF stacks, the generated Ansible inventory and verify.
 *
 * Defaults reproduce the seed's lab (shared/docs/packet-path.md).
 * `resolveLab()` merges overrides from (lowest to highest precedence):
 * defaults < lab file (JSON or YAML) < cdktf context `lab` < env `SWARM_LAB_*`.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import YAML from 'yaml';
import { FLAVOURS } from '../e2e/images/flavours';

export type NodeRole = 'manager' | 'worker';
/** `auto` is resolved by probing the host (see stacks/detect.ts): kvm where usable, else qemu (TCG). */
export type DomainType = 'kvm' | 'qemu' | 'auto';
export type NetworkMode = 'isolated' | 'nat';
export type FirewallMode = 'off' | 'open-ports';

export interface LabNode {
  /** Hostname and libvirt domain suffix, e.g. `centos7-10`. */
  readonly name: string;
  /** Underlay address on the lab network (inside `network.cidr`). */
  readonly ip: string;
  readonly role: NodeRole;
}

/** A VM image the lab can boot. CentOS images boot from disk; Debian lab images by direct kernel boot. */
export interface ImageSpec {
  readonly name: string;
  /** `centos` (Docker from Docker's el7 repo) or `debian` (Docker baked into the offline image). */
  readonly family: 'centos' | 'debian';
  /** Download URL (cached once) or absolute/relative local path to a qcow2. */
  readonly source: string;
  /** Pinned sha256 of the image file; empty for locally built images (their builder pins inputs). */
  readonly sha256: string;
  /** Login user cloud-init creates; verify and Ansible connect as this user. */
  readonly sshUser: string;
  /** Direct kernel boot: kernel/initrd paths next to the image (Debian lab images). */
  readonly kernel?: string;
  readonly initrd?: string;
  readonly cmdline?: string;
  /** Docker version the image carries, when Docker is baked in (Debian images). */
  readonly dockerVersion?: string;
}

export interface ServiceSpec {
  readonly name: string;
  readonly replicas: number;
  readonly publishedPort: number;
  readonly targetPort: number;
  /** Image reference, or `local:<name>` for an image loaded from a tarball on the nodes (offline labs). */
  readonly image: string;
  /** User overlay network the service is attached to (the seed's `ol_network`). */
  readonly overlayNetwork: string;
  readonly overlaySubnet: string;
  /** Controller path of the image tarball for `local:` images; default `.cache/images/web/web.tar`. */
  readonly imageTarball?: string;
}

export interface Lab {
  /** Lab name; prefixes every libvirt object so several labs coexist. */
  readonly name: string;
  readonly libvirtUri: string;
  readonly domainType: DomainType;
  readonly network: {
    readonly name: string;
    readonly cidr: string;
    readonly gateway: string;
    readonly mode: NetworkMode;
    /** Address verify's client uses (the seed's 10.211.55.2). */
    readonly clientIp: string;
    /** Interface name inside the guests. */
    readonly nic: string;
  };
  readonly nodes: readonly LabNode[];
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly image: string;
  readonly dockerVersion: string;
  readonly dataPathPort: number;
  readonly firewall: FirewallMode;
  readonly service: ServiceSpec;
  /** libvirt storage pool for volumes. */
  readonly pool: string;
  /** Directory for per-lab private material (keys, inventory); never in state. */
  readonly labDir: string;
}

/** Images the lab knows by name. Local Debian images are built by `e2e/images` into `.cache/images`. */
export const IMAGES: Readonly<Record<string, ImageSpec>> = {
  'centos7.9': {
    name: 'centos7.9',
    family: 'centos',
    source: 'https://cloud.centos.org/centos/7/images/CentOS-7-x86_64-GenericCloud-2009.qcow2',
    sha256: 'e38bab0475cc6d004d2e17015969c659e5a308111851b0e2715e84646035bdd3',
    sshUser: 'centos',
  },
  // One per e2e/images/flavours/*.conf (Debian's docker.io or an engine built from source).
  ...Object.fromEntries(FLAVOURS.map((f) => [f.name, debianImage(f.name, f.dockerVersion)])),
};

/** Image name that stands for "the offline Debian flavour carrying the lab's dockerVersion". */
export const OFFLINE_IMAGE = 'debian';

/** The offline flavour carrying Docker `version`, or a one-line error listing the versions that have one. */
export function offlineImageFor(version: string, field = 'dockerVersion'): string {
  const f = FLAVOURS.find((x) => x.dockerVersion === version);
  if (f) return f.name;
  const have = [...new Set(FLAVOURS.map((x) => x.dockerVersion))].join(', ');
  throw new LabConfigError(
    field,
    `no offline image carries Docker ${version}; flavours exist for ${have}. ` +
      `Add one: e2e/engine/pin.sh ${version} (source build) and e2e/images/flavours/<name>.conf with ` +
      `SUITE, DOCKER_VERSION=${version}, ENGINE=${version}; or use image centos7.9 (docker-ce from Docker's repo)`,
  );
}

function debianImage(name: string, dockerVersion: string): ImageSpec {
  return {
    name,
    family: 'debian',
    source: `.cache/images/${name}/disk.qcow2`,
    sha256: '',
    sshUser: 'root',
    kernel: `.cache/images/${name}/vmlinuz`,
    initrd: `.cache/images/${name}/initrd.img`,
    cmdline: 'root=/dev/vda rw console=ttyS0 net.ifnames=1',
    dockerVersion,
  };
}

export const DEFAULT_LAB: Lab = {
  name: 'swarm-lab',
  libvirtUri: 'qemu:///system',
  domainType: 'auto',
  network: {
    name: 'swarm-lab',
    cidr: '10.211.55.0/24',
    gateway: '10.211.55.1',
    mode: 'isolated',
    clientIp: '10.211.55.2',
    nic: 'enp0s5',
  },
  nodes: [
    { name: 'centos7-10', ip: '10.211.55.10', role: 'manager' },
    { name: 'centos7-18', ip: '10.211.55.18', role: 'worker' },
    { name: 'centos7-22', ip: '10.211.55.22', role: 'worker' },
  ],
  vcpu: 1,
  memoryMiB: 2048,
  diskGiB: 20,
  image: 'centos7.9',
  dockerVersion: '24.0.7',
  dataPathPort: 4789,
  firewall: 'off',
  service: {
    name: 'my-nginx',
    replicas: 3,
    publishedPort: 9090,
    targetPort: 80,
    image: 'nginx:1.25-alpine',
    overlayNetwork: 'ol_network',
    overlaySubnet: '10.10.0.0/24',
  },
  pool: 'default',
  labDir: '.lab/swarm-lab',
};

/** Deep-partial override shape accepted from files, context and env. */
export type LabOverrides = {
  [K in keyof Lab]?: Lab[K] extends readonly (infer U)[]
    ? readonly U[]
    : Lab[K] extends object
      ? Partial<Lab[K]>
      : Lab[K];
};

/** A bad lab value: one line naming the field and what is allowed. */
export class LabConfigError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`lab config: ${field}: ${detail}`);
    this.name = 'LabConfigError';
  }
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr);
  if (!m || net.isIPv4(m[1]) === false) return undefined;
  const bits = Number(m[2]);
  if (bits < 8 || bits > 30) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToInt(m[1]) & mask) >>> 0, bits };
}

export function inCidr(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  if (!c || !net.isIPv4(ip)) return false;
  const mask = (0xffffffff << (32 - c.bits)) >>> 0;
  const v = ipToInt(ip);
  // Network and broadcast addresses are not usable host addresses.
  return (v & mask) >>> 0 === c.base && v !== c.base && v !== (c.base | (~mask >>> 0)) >>> 0;
}

export function netmaskOf(cidr: string): string {
  const c = parseCidr(cidr);
  if (!c) throw new LabConfigError('network.cidr', `"${cidr}" is not an IPv4 CIDR`);
  const m = (0xffffffff << (32 - c.bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}

const NAME_RE = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const VERSION_RE = /^\d+\.\d+\.\d+$/;

function checkPort(field: string, v: unknown): void {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) {
    throw new LabConfigError(field, `${JSON.stringify(v)} is not a port; allowed 1-65535`);
  }
}

function checkInt(field: string, v: unknown, min: number, max: number): void {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    throw new LabConfigError(field, `${JSON.stringify(v)} is out of range; allowed integer ${min}-${max}`);
  }
}

/** Validate a fully merged lab; throws `LabConfigError` on the first bad field. */
export function validateLab(lab: Lab): Lab {
  if (!NAME_RE.test(lab.name)) {
    throw new LabConfigError('name', `"${lab.name}" must be 2-40 chars of a-z, 0-9, '-' starting with a letter`);
  }
  if (!/^(qemu|qemu\+ssh|qemu\+tcp|qemu\+unix|test)(:\/\/|\+)/.test(lab.libvirtUri)) {
    throw new LabConfigError('libvirtUri', `"${lab.libvirtUri}" is not a libvirt URI (e.g. qemu:///system)`);
  }
  if (lab.domainType !== 'kvm' && lab.domainType !== 'qemu' && lab.domainType !== 'auto') {
    throw new LabConfigError('domainType', `"${lab.domainType}" is not allowed; use kvm, qemu or auto`);
  }
  const n = lab.network;
  if (!parseCidr(n.cidr))
    throw new LabConfigError('network.cidr', `"${n.cidr}" is not an IPv4 CIDR with prefix /8-/30`);
  if (n.mode !== 'isolated' && n.mode !== 'nat') {
    throw new LabConfigError('network.mode', `"${n.mode}" is not allowed; use isolated or nat`);
  }
  if (!inCidr(n.gateway, n.cidr))
    throw new LabConfigError('network.gateway', `${n.gateway} is not a host address in ${n.cidr}`);
  if (!inCidr(n.clientIp, n.cidr))
    throw new LabConfigError('network.clientIp', `${n.clientIp} is not a host address in ${n.cidr}`);
  if (!/^[a-z][a-z0-9]{1,14}$/.test(n.nic))
    throw new LabConfigError('network.nic', `"${n.nic}" is not an interface name`);
  if (!Array.isArray(lab.nodes) || lab.nodes.length < 1 || lab.nodes.length > 16) {
    throw new LabConfigError('nodes', `need 1-16 nodes, got ${Array.isArray(lab.nodes) ? lab.nodes.length : 'none'}`);
  }
  const seenIp = new Map<string, string>();
  const seenName = new Set<string>();
  lab.nodes.forEach((node, i) => {
    const f = `nodes[${i}]`;
    if (!node || typeof node.name !== 'string' || !NAME_RE.test(node.name)) {
      throw new LabConfigError(`${f}.name`, `${JSON.stringify(node?.name)} must be a hostname of a-z, 0-9, '-'`);
    }
    if (seenName.has(node.name)) throw new LabConfigError(`${f}.name`, `"${node.name}" is used twice`);
    seenName.add(node.name);
    if (!inCidr(node.ip, n.cidr))
      throw new LabConfigError(`${f}.ip`, `${node.ip} (${node.name}) is not a host address in ${n.cidr}`);
    const dup = seenIp.get(node.ip);
    if (dup) throw new LabConfigError(`${f}.ip`, `${node.ip} is already used by ${dup}`);
    if (node.ip === n.gateway || node.ip === n.clientIp) {
      throw new LabConfigError(`${f}.ip`, `${node.ip} collides with the network gateway or client address`);
    }
    seenIp.set(node.ip, node.name);
    if (node.role !== 'manager' && node.role !== 'worker') {
      throw new LabConfigError(`${f}.role`, `"${node.role}" is not allowed; use manager or worker`);
    }
  });
  if (!lab.nodes.some((x) => x.role === 'manager'))
    throw new LabConfigError('nodes', 'no node has role manager; need at least one');
  checkInt('vcpu', lab.vcpu, 1, 64);
  checkInt('memoryMiB', lab.memoryMiB, 512, 262144);
  checkInt('diskGiB', lab.diskGiB, 4, 2048);
  if (!IMAGES[lab.image]) {
    throw new LabConfigError('image', `unknown image "${lab.image}"; known: ${Object.keys(IMAGES).join(', ')}`);
  }
  if (!VERSION_RE.test(lab.dockerVersion)) {
    throw new LabConfigError(
      'dockerVersion',
      `"${lab.dockerVersion}" is malformed; expected MAJOR.MINOR.PATCH, e.g. 24.0.7`,
    );
  }
  checkPort('dataPathPort', lab.dataPathPort);
  if (lab.firewall !== 'off' && lab.firewall !== 'open-ports') {
    throw new LabConfigError('firewall', `"${lab.firewall}" is not allowed; use off or open-ports`);
  }
  const s = lab.service;
  if (!NAME_RE.test(s.name)) throw new LabConfigError('service.name', `"${s.name}" is not a service name`);
  checkInt('service.replicas', s.replicas, 1, 100);
  checkPort('service.publishedPort', s.publishedPort);
  checkPort('service.targetPort', s.targetPort);
  if (!s.image) throw new LabConfigError('service.image', 'must not be empty');
  if (!parseCidr(s.overlaySubnet))
    throw new LabConfigError('service.overlaySubnet', `"${s.overlaySubnet}" is not an IPv4 CIDR`);
  if (!/^[A-Za-z0-9_.-]+$/.test(lab.pool)) throw new LabConfigError('pool', `"${lab.pool}" is not a storage pool name`);
  return lab;
}

/** Merge overrides onto a base lab; nested objects merge one level deep, arrays replace. */
export function mergeLab(base: Lab, o: LabOverrides | undefined): Lab {
  if (!o) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const cur = (base as unknown as Record<string, unknown>)[k];
    out[k] =
      cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)
        ? { ...(cur as object), ...(v as object) }
        : v;
  }
  const lab = out as unknown as Lab;
  // Names derived from the lab name follow it unless set explicitly.
  if (o.name && !o.network?.name) (lab as { network: Lab['network'] }).network = { ...lab.network, name: o.name };
  if (o.name && !o.labDir) (lab as { labDir: string }).labDir = path.join('.lab', o.name);
  return lab;
}

/** Parse `SWARM_LAB_*` env variables into overrides. Only scalar fields; use a lab file for nodes. */
export function envOverrides(env: NodeJS.ProcessEnv): LabOverrides {
  const o: Record<string, unknown> = {};
  const net: Record<string, unknown> = {};
  const svc: Record<string, unknown> = {};
  const num = (k: string, v: string): number => {
    const x = Number(v);
    if (!Number.isFinite(x)) throw new LabConfigError(k, `"${v}" is not a number`);
    return x;
  };
  const map: Array<[string, (v: string) => void]> = [
    ['SWARM_LAB_NAME', (v) => (o.name = v)],
    ['SWARM_LAB_LIBVIRT_URI', (v) => (o.libvirtUri = v)],
    ['SWARM_LAB_DOMAIN_TYPE', (v) => (o.domainType = v)],
    ['SWARM_LAB_IMAGE', (v) => (o.image = v)],
    ['SWARM_LAB_DOCKER_VERSION', (v) => (o.dockerVersion = v)],
    ['SWARM_LAB_VCPU', (v) => (o.vcpu = num('vcpu', v))],
    ['SWARM_LAB_MEMORY_MIB', (v) => (o.memoryMiB = num('memoryMiB', v))],
    ['SWARM_LAB_POOL', (v) => (o.pool = v)],
    ['SWARM_LAB_DIR', (v) => (o.labDir = v)],
    ['SWARM_LAB_NETWORK_MODE', (v) => (net.mode = v)],
    ['SWARM_LAB_SERVICE_IMAGE', (v) => (svc.image = v)],
    ['SWARM_LAB_REPLICAS', (v) => (svc.replicas = num('service.replicas', v))],
  ];
  for (const [k, set] of map) {
    const v = env[k];
    if (v !== undefined && v !== '') set(v);
  }
  if (Object.keys(net).length) o.network = net;
  if (Object.keys(svc).length) o.service = svc;
  return o as LabOverrides;
}

export function readLabFile(file: string): LabOverrides {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabConfigError('labFile', `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return (file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) ?? {};
  } catch (e) {
    throw new LabConfigError(
      'labFile',
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
}

export interface ResolveOptions {
  /** Path of a lab file (JSON/YAML); default: env SWARM_LAB_FILE. */
  readonly file?: string;
  /** Overrides from cdktf context (`lab` key). */
  readonly context?: LabOverrides;
  readonly env?: NodeJS.ProcessEnv;
}

/** Defaults < lab file < context < env, then validated. */
export function resolveLab(opts: ResolveOptions = {}): Lab {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.SWARM_LAB_FILE;
  let lab = DEFAULT_LAB;
  if (file) lab = mergeLab(lab, readLabFile(file));
  lab = mergeLab(lab, opts.context);
  const fromEnv = envOverrides(env);
  lab = mergeLab(lab, fromEnv);
  // An image with Docker baked in decides the Docker version unless one was set explicitly.
  const img = IMAGES[lab.image];
  const setVersion =
    [opts.context?.dockerVersion, fromEnv.dockerVersion].some((v) => v !== undefined) ||
    (file !== undefined && readLabFile(file).dockerVersion !== undefined);
  if (lab.image === OFFLINE_IMAGE) {
    lab = { ...lab, image: offlineImageFor(lab.dockerVersion) };
  } else if (img?.dockerVersion && !setVersion) {
    lab = { ...lab, dockerVersion: img.dockerVersion };
  } else if (img?.dockerVersion && lab.dockerVersion !== img.dockerVersion) {
    // Offline images cannot install another engine: name the image that has the asked version
    // (offlineImageFor throws the one-line list of versions when none has it).
    const other = offlineImageFor(lab.dockerVersion);
    throw new LabConfigError(
      'dockerVersion',
      `image ${lab.image} carries Docker ${img.dockerVersion}, not ${lab.dockerVersion}; use image ${other} or "${OFFLINE_IMAGE}"`,
    );
  }
  return validateLab(lab);
}

export function imageOf(lab: Lab): ImageSpec {
  const img = IMAGES[lab.image];
  if (!img) throw new LabConfigError('image', `unknown image "${lab.image}"`);
  return img;
}

export function managers(lab: Lab): LabNode[] {
  return lab.nodes.filter((n) => n.role === 'manager');
}

/** Where a lab keeps its private material and generated files (all under `labDir`, mode 0600 files). */
export interface LabPaths {
  readonly dir: string;
  /** The lab's SSH user key (OpenSSH ed25519); the public half goes to cloud-init. */
  readonly userKey: string;
  readonly userKeyPub: string;
  /** Pre-generated host keys per node: `<hostKeys>/<node>/ssh_host_ed25519_key[.pub]`. */
  readonly hostKeys: string;
  /** known_hosts pinning every node's host key by IP and name (verify and Ansible use it). */
  readonly knownHosts: string;
  /** Generated Ansible inventory (YAML), consumed by ansible/site.yml. */
  readonly inventory: string;
  /** Per-node cloud-init files and seed ISOs. */
  readonly cloudInit: string;
  /** Verify output (pcaps, reports) per run. */
  readonly reports: string;
}

export function labPaths(lab: Lab, root = process.cwd()): LabPaths {
  const dir = path.resolve(root, lab.labDir);
  return {
    dir,
    userKey: path.join(dir, 'id_ed25519'),
    userKeyPub: path.join(dir, 'id_ed25519.pub'),
    hostKeys: path.join(dir, 'host_keys'),
    knownHosts: path.join(dir, 'known_hosts'),
    inventory: path.join(dir, 'inventory.yml'),
    cloudInit: path.join(dir, 'cloud-init'),
    reports: path.join(dir, 'reports'),
  };
}
