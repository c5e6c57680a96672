/**
 * The lab model: one typed, validated description of a lab. It is the single
 * source for the CDKTF stacks, the generated Ansible inventory and verify.
 *
 * Fields, types, ranges, defaults and env names: stacks/lab-schema.ts (zod). Cross-field rules:
 * stacks/lab-rules.ts. Images and their Docker versions: stacks/lab-images.ts.
 * `resolveLab()` merges overrides from (lowest to highest precedence):
 * defaults < lab file (JSON or YAML) < cdktf context `lab` < env `SWARM_LAB_*`.
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { EXIT, SwarmLabError } from '../lib/exit';
import { IMAGES, noOfflineImage, OFFLINE_IMAGE, offlineImageFor, type ImageSpec } from './lab-images';
import { firstRuleIssue, parseCidr } from './lab-rules';
import { CLIENT_PATHS, labFields, LabSchema, toLabIssue, type Lab, type LabNode } from './lab-schema';

export { IMAGES, OFFLINE_IMAGE, type ImageSpec } from './lab-images';
export { cidrsOverlap, inCidr, ipToInt, parseCidr } from './lab-rules';
export type {
  DomainType,
  FirewallMode,
  Lab,
  LabNode,
  NetworkMode,
  NodeRole,
  PathName,
  ServiceSpec,
} from './lab-schema';
export { CLIENT_PATHS, PATH_NAMES } from './lab-schema';

/** Whether the lab needs the client service (a path that starts inside a task). */
export function needsClient(lab: Pick<Lab, 'paths'>): boolean {
  return lab.paths.some((p) => (CLIENT_PATHS as readonly string[]).includes(p));
}

/** The seed's lab (shared/docs/packet-path.md): every schema default. */
export const DEFAULT_LAB: Lab = LabSchema.parse({});

/** Deep-partial override shape accepted from files, context and env. */
export type LabOverrides = {
  [K in keyof Lab]?: Lab[K] extends readonly (infer U)[]
    ? readonly U[]
    : Lab[K] extends object
      ? Partial<Lab[K]>
      : Lab[K];
};

/** A bad lab value: one line naming the field and what is allowed (exit code `usage`). */
export class LabConfigError extends SwarmLabError {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(EXIT.usage, `lab config: ${field}: ${detail}`, { subject: field });
    this.name = 'LabConfigError';
  }
}

export function netmaskOf(cidr: string): string {
  const c = parseCidr(cidr);
  if (!c) throw new LabConfigError('network.cidr', `"${cidr}" is not an IPv4 CIDR`);
  const m = (0xffffffff << (32 - c.bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}

/**
 * Validate a fully merged lab: the schema (types, ranges, unknown keys with a suggestion), then the
 * cross-field rules. Throws `LabConfigError` on the first problem.
 */
export function validateLab(lab: unknown): Lab {
  const parsed = LabSchema.safeParse(lab);
  if (!parsed.success) {
    const { field, detail } = toLabIssue(parsed.error.issues[0]);
    throw new LabConfigError(field, detail);
  }
  const bad = firstRuleIssue(parsed.data);
  if (bad) throw new LabConfigError(bad.field, bad.detail);
  return parsed.data;
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
        ? { ...cur, ...(v as object) }
        : v;
  }
  const lab = out as unknown as Lab;
  // Names derived from the lab name follow it unless set explicitly.
  if (o.name && !o.network?.name) (lab as { network: Lab['network'] }).network = { ...lab.network, name: o.name };
  if (o.name && !o.labDir) (lab as { labDir: string }).labDir = path.join('.lab', o.name);
  return lab;
}

/**
 * `SWARM_LAB_*` env variables as overrides: every schema field with an `env` name (scalars only; use a
 * lab file for nodes). Integer fields are parsed as numbers; anything else goes to the schema as is.
 */
export function envOverrides(env: NodeJS.ProcessEnv): LabOverrides {
  const o: Record<string, unknown> = {};
  for (const f of labFields()) {
    const v = f.meta.env ? env[f.meta.env] : undefined;
    if (v === undefined || v === '') continue;
    const value = f.numeric && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    const keys = f.path.split('.');
    let at = o;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]] = value;
  }
  return o;
}

export function readLabFile(file: string): LabOverrides {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabConfigError('labFile', `cannot read ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = (file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) ?? {};
  } catch (e) {
    throw new LabConfigError(
      'labFile',
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new LabConfigError('labFile', `${file} must hold a mapping of lab fields, not ${JSON.stringify(doc)}`);
  }
  return doc as LabOverrides;
}

export interface ResolveOptions {
  /** Path of a lab file (JSON/YAML); default: env SWARM_LAB_FILE. */
  readonly file?: string;
  /** Overrides from cdktf context (`lab` key); default: the `lab` key of env CDKTF_CONTEXT_JSON. */
  readonly context?: LabOverrides;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The `lab` key of CDKTF_CONTEXT_JSON, the cdktf context every command sees (cdktf-cli passes it to
 * the app unchanged as long as cdktf.json has no `context` of its own).
 */
export function contextFromEnv(env: NodeJS.ProcessEnv): LabOverrides | undefined {
  const text = env.CDKTF_CONTEXT_JSON;
  if (!text) return undefined;
  let ctx: unknown;
  try {
    ctx = JSON.parse(text);
  } catch (e) {
    throw new LabConfigError('CDKTF_CONTEXT_JSON', `not valid JSON: ${(e as Error).message}`);
  }
  if (!ctx || typeof ctx !== 'object' || Array.isArray(ctx)) {
    throw new LabConfigError('CDKTF_CONTEXT_JSON', `${text} is not a JSON object like {"lab":{...}}`);
  }
  const lab = (ctx as Record<string, unknown>).lab;
  if (lab === undefined) return undefined;
  const parsed = typeof lab === 'string' ? (JSON.parse(lab) as unknown) : lab;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LabConfigError('CDKTF_CONTEXT_JSON', `lab is ${JSON.stringify(lab)}, not a mapping of lab fields`);
  }
  return parsed;
}

/** Defaults < lab file < context < env, then validated. */
export function resolveLab(opts: ResolveOptions = {}): Lab {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.SWARM_LAB_FILE;
  const layers = [file ? readLabFile(file) : undefined, opts.context ?? contextFromEnv(env), envOverrides(env)];
  let lab = DEFAULT_LAB;
  for (const layer of layers) lab = mergeLab(lab, layer);
  // An image with exactly one Docker (baked in) decides the version unless one was set explicitly.
  const img = IMAGES[lab.image];
  const setVersion = layers.some((l) => l?.dockerVersion !== undefined);
  if (lab.image === OFFLINE_IMAGE) {
    // `image: debian`: dockerVersion picks the offline flavour.
    const chosen = offlineImageFor(lab.dockerVersion);
    if (!chosen) throw new LabConfigError('dockerVersion', noOfflineImage(lab.dockerVersion));
    lab = { ...lab, image: chosen };
  } else if (img?.dockerVersion && !setVersion) lab = { ...lab, dockerVersion: img.dockerVersion };
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
