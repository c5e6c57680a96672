/**
 * The lab file's schema: one zod 4 source for the lab model's fields, their types, ranges, defaults,
 * `SWARM_LAB_*` env names and notes. From it come the `Lab` type, `DEFAULT_LAB`, the env overrides,
 * the README's configuration table (tools/gen-lab-docs.ts) and `lab.schema.json` (editor completion).
 *
 * Adding a field is one entry here: a schema with `.default()` and `.meta({ description, env? })`.
 * Rules that relate several fields (ports, addresses, images) live in stacks/lab-rules.ts.
 */
import { z } from 'zod';
import { IMAGES, OFFLINE_IMAGE } from './lab-images';

/**
 * Packet paths a lab enables (shared/docs/packet-path.md): verify proves each one and Ansible
 * deploys what a path needs (the client service for every path that starts inside a task).
 */
export const PATH_NAMES = ['ingress', 'service-vip', 'task-to-task', 'dns', 'egress'] as const;
export type PathName = (typeof PATH_NAMES)[number];
/** Paths whose traffic starts inside a client task on the user overlay. */
export const CLIENT_PATHS: readonly PathName[] = ['service-vip', 'task-to-task', 'dns', 'egress'];

/** What the README table and the env parser read from a field's `.meta()`. */
export interface FieldMeta {
  /** The README's notes column (also the JSON Schema description). */
  readonly description?: string;
  /** `SWARM_LAB_*` variable that overrides this field (scalars only). */
  readonly env?: string;
  /** The README's default column when the value itself is not telling (e.g. `.lab/<name>`). */
  readonly defaultText?: string;
}

/** `"x"` for strings, `5` for numbers: how a bad value is quoted in a message. */
export const quote = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

const intIn = (min: number, max: number) => {
  const msg = (iss: { code?: string; input?: unknown }) =>
    iss.code === 'invalid_type'
      ? `${quote(iss.input)} is not an integer; allowed ${min}-${max}`
      : `${quote(iss.input)} is out of range; allowed integer ${min}-${max}`;
  return z.int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
};

const portIn = (min = 1, max = 65535) => {
  const msg = (iss: { input?: unknown }) => `${quote(iss.input)} is not a port; allowed ${min}-${max}`;
  return z.int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
};

/** One of a fixed list: `"xen" is not allowed; use kvm, qemu or auto`. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (iss) =>
      `${quote(iss.input)} is not allowed; use ${values.slice(0, -1).join(', ')}${values.length > 1 ? ' or ' : ''}${values[values.length - 1]}`,
  });

const matching = (re: RegExp, what: (v: unknown) => string) =>
  z.string({ error: (iss) => what(iss.input) }).regex(re, { error: (iss) => what(iss.input) });

const NAME_RE = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const CIDR_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([89]|[12]\d|30)$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

const ipv4 = matching(IPV4_RE, (v) => `${quote(v)} is not an IPv4 address`);

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The known key a misspelt one most likely meant, if any is close enough. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const scored = known
    .map((k) => ({ k, d: k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k) }))
    .sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= Math.max(1, Math.floor(key.length / 3)) ? best.k : undefined;
}

/**
 * A strict object: an unknown key is an error. The message carries the suggestion; the issue's path
 * is the object's, so `toLabIssue` appends the key (`service.replica`).
 */
const strict = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const key = iss.keys[0];
        const near = closestKey(key, Object.keys(shape));
        return near ? `unknown key; did you mean ${near}?` : `unknown key; known: ${Object.keys(shape).join(', ')}`;
      }
      if (iss.code === 'invalid_type')
        return `${quote(iss.input)} is not a mapping; expected keys ${Object.keys(shape).join(', ')}`;
      return undefined;
    },
  });

const node = strict({
  name: matching(NAME_RE, (v) => `${quote(v)} must be a hostname of a-z, 0-9, '-'`).meta({
    description: 'hostname and libvirt domain suffix',
  }),
  ip: ipv4.meta({ description: 'underlay address, inside `network.cidr`' }),
  role: oneOf(['manager', 'worker'] as const),
});

const DEFAULT_NODES = [
  { name: 'centos7-10', ip: '10.211.55.10', role: 'manager' as const },
  { name: 'centos7-18', ip: '10.211.55.18', role: 'worker' as const },
  { name: 'centos7-22', ip: '10.211.55.22', role: 'worker' as const },
];

/** The lab file's schema (after defaults < file < context < env are merged). */
export const LabSchema = strict({
  name: matching(NAME_RE, (v) => `${quote(v)} must be 2-40 chars of a-z, 0-9, '-' starting with a letter`)
    .default('swarm-lab')
    .meta({
      env: 'SWARM_LAB_NAME',
      description:
        'prefixes every libvirt object; `network.name` and `labDir` follow it; labs with different names coexist',
    }),
  libvirtUri: matching(
    /^(qemu|qemu\+ssh|qemu\+tcp|qemu\+unix|test)(:\/\/|\+)/,
    (v) => `${quote(v)} is not a libvirt URI (e.g. qemu:///system)`,
  )
    .default('qemu:///system')
    .meta({
      env: 'SWARM_LAB_LIBVIRT_URI',
      description: 'e.g. `qemu:///system?socket=/path/libvirt-sock`, `qemu+ssh://user@host/system?keyfile=...`',
    }),
  domainType: oneOf(['kvm', 'qemu', 'auto'] as const)
    .default('auto')
    .meta({ env: 'SWARM_LAB_DOMAIN_TYPE', description: '`kvm`, `qemu` (TCG) or `auto` (probed at synth)' }),
  network: strict({
    name: matching(NAME_RE, (v) => `${quote(v)} is not a libvirt network name`)
      .default('swarm-lab')
      .meta({ description: 'libvirt network', defaultText: '`<name>`' }),
    cidr: matching(CIDR_RE, (v) => `${quote(v)} is not an IPv4 CIDR with prefix /8-/30`)
      .default('10.211.55.0/24')
      .meta({ description: 'the lab network' }),
    gateway: ipv4.default('10.211.55.1').meta({ description: 'host side of the bridge, inside `network.cidr`' }),
    mode: oneOf(['isolated', 'nat'] as const)
      .default('isolated')
      .meta({ env: 'SWARM_LAB_NETWORK_MODE', description: '`isolated` or `nat`' }),
    clientIp: ipv4.default('10.211.55.2').meta({ description: "verify's client address, inside `network.cidr`" }),
    nic: matching(/^[a-z][a-z0-9]{1,14}$/, (v) => `${quote(v)} is not an interface name`)
      .default('enp0s5')
      .meta({ description: 'NIC name in the guests (matched by MAC)' }),
  }).prefault({}),
  nodes: z
    .array(node, { error: (iss) => `${quote(iss.input)} is not a list of nodes` })
    .min(1, { error: (iss) => `need 1-16 nodes, got ${(iss.input as unknown[]).length}` })
    .max(16, { error: (iss) => `need 1-16 nodes, got ${(iss.input as unknown[]).length}` })
    .default(DEFAULT_NODES)
    .meta({
      description: '1-16 nodes `{name, ip, role}`, at least one manager; the first manager initialises the swarm',
      defaultText: '`centos7-10` .10 manager; `centos7-18` .18 and `centos7-22` .22 workers',
    }),
  vcpu: intIn(1, 64).default(1).meta({ env: 'SWARM_LAB_VCPU', description: 'per node' }),
  memoryMiB: intIn(512, 262144).default(2048).meta({ env: 'SWARM_LAB_MEMORY_MIB', description: 'per node' }),
  diskGiB: intIn(4, 2048).default(20).meta({ description: 'per node' }),
  image: z
    .enum([OFFLINE_IMAGE, ...Object.keys(IMAGES)] as [string, ...string[]], {
      error: (iss) => `unknown image ${quote(iss.input)}; known: ${[OFFLINE_IMAGE, ...Object.keys(IMAGES)].join(', ')}`,
    })
    .default('centos7.9')
    .meta({
      env: 'SWARM_LAB_IMAGE',
      description:
        '`centos7.9` (GenericCloud 2009, sha256 pinned, cached in `.cache/images/centos7.9/`), or the offline images ' +
        Object.keys(IMAGES)
          .filter((n) => IMAGES[n].family === 'debian')
          .map((n) => `\`${n}\``)
          .join(', ') +
        ' (built by `e2e/images`, one per `e2e/images/flavours/*.conf`), or `debian`: the offline image carrying `dockerVersion`',
    }),
  dockerVersion: matching(/^\d+\.\d+\.\d+$/, (v) => `${quote(v)} is malformed; expected MAJOR.MINOR.PATCH, e.g. 24.0.7`)
    .default('24.0.7')
    .meta({
      env: 'SWARM_LAB_DOCKER_VERSION',
      defaultText: '`24.0.7` (offline images: what they carry)',
      description:
        'CentOS installs `docker-ce`/`docker-ce-cli` of that version (a pinned list of el7 releases, 18.09.0 to 26.1.4); the offline images carry exactly one version',
    }),
  dockerFirewallBackend: oneOf(['iptables', 'nftables'] as const)
    .default('iptables')
    .meta({
      env: 'SWARM_LAB_DOCKER_FIREWALL_BACKEND',
      description:
        "dockerd's `firewall-backend` (not firewalld, see `firewall`): `iptables` leaves Docker's default (no daemon.json); `nftables` writes `/etc/docker/daemon.json` with `firewall-backend: nftables` and `features.swarm-nftables` (Docker 29.6.0 or later; verify does not model nftables rules yet and says so, exit 2)",
    }),
  dataPathPort: portIn(1024, 49151)
    .default(4789)
    .meta({ description: "VXLAN UDP port (`docker swarm init --data-path-port`, Docker's range 1024-49151)" }),
  firewall: oneOf(['off', 'open-ports'] as const)
    .default('off')
    .meta({
      description:
        '`off` or `open-ports` (2377/tcp, 7946/tcp+udp, data path port/udp; firewalld is never reloaded after Docker started)',
    }),
  service: strict({
    name: matching(NAME_RE, (v) => `${quote(v)} is not a service name`).default('my-nginx'),
    replicas: intIn(1, 100).default(3).meta({ env: 'SWARM_LAB_REPLICAS' }),
    publishedPort: portIn()
      .default(9090)
      .meta({ description: 'ingress mode, endpoint mode vip; not 22, 2377, 7946 or the data path port' }),
    targetPort: portIn().default(80).meta({ description: 'the container port' }),
    image: z
      .string({ error: (iss) => `${quote(iss.input)} is not an image reference` })
      .min(1, { error: 'must not be empty' })
      .default('nginx:1.25-alpine')
      .meta({
        env: 'SWARM_LAB_SERVICE_IMAGE',
        description: '`local:<name>` loads `service.imageTarball` on each node (offline labs)',
      }),
    overlayNetwork: matching(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, (v) => `${quote(v)} is not a network name`).default(
      'ol_network',
    ),
    overlaySubnet: matching(CIDR_RE, (v) => `${quote(v)} is not an IPv4 CIDR`)
      .default('10.10.0.0/24')
      .meta({ description: "must not overlap `network.cidr` or Docker's ingress 10.0.0.0/24" }),
    imageTarball: z
      .string({ error: (iss) => `${quote(iss.input)} is not a path` })
      .optional()
      .meta({
        description: 'controller path of the image tarball for `local:` images; must exist at synth',
        defaultText: '`.cache/images/web/web.tar`',
      }),
  }).prefault({}),
  paths: z
    .array(oneOf(PATH_NAMES), { error: (iss) => `${quote(iss.input)} is not a list of paths` })
    .min(1, { error: `must name at least one path: ${PATH_NAMES.join(', ')}` })
    .refine((v) => new Set(v).size === v.length, { error: 'a path is listed twice' })
    // Only `ingress` has been proven on a real lab so far; the client paths are opt-in until they have been.
    .default(['ingress'])
    .meta({
      description:
        'paths verify proves (`--paths` narrows one run); `service-vip`, `task-to-task`, `dns` and `egress` are opt-in (not yet proven on a real lab); any but `ingress` makes Ansible deploy `<service>-client` (global mode: one task per node, same image, on `service.overlayNetwork` only)',
    }),
  pool: matching(/^[A-Za-z0-9_.-]+$/, (v) => `${quote(v)} is not a storage pool name`)
    .default('default')
    .meta({ env: 'SWARM_LAB_POOL', description: 'libvirt storage pool' }),
  labDir: z
    .string({ error: (iss) => `${quote(iss.input)} is not a path` })
    .min(1, { error: 'must not be empty' })
    .default('.lab/swarm-lab')
    .meta({
      env: 'SWARM_LAB_DIR',
      description: 'private material (keys, inventory, state)',
      defaultText: '`.lab/<name>`',
    }),
});

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Lab = DeepReadonly<z.output<typeof LabSchema>>;
export type LabNode = Lab['nodes'][number];
export type NodeRole = LabNode['role'];
/** `auto` is resolved by probing the host (see stacks/detect.ts): kvm where usable, else qemu (TCG). */
export type DomainType = Lab['domainType'];
export type NetworkMode = Lab['network']['mode'];
export type FirewallMode = Lab['firewall'];
/** Docker's own firewall backend (daemon.json `firewall-backend`), not firewalld. */
export type DockerFirewallBackend = Lab['dockerFirewallBackend'];
export type ServiceSpec = Lab['service'];

/** One leaf field of the schema, walked in declaration order (README rows, env variables). */
export interface LabField {
  /** Dotted path, e.g. `service.replicas`. */
  readonly path: string;
  readonly schema: z.ZodType;
  readonly meta: FieldMeta;
  /** Integer fields: env strings are parsed as numbers. */
  readonly numeric: boolean;
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  while (cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault || cur instanceof z.ZodOptional) {
    cur = cur.def.innerType as z.ZodType;
  }
  return cur;
}

export function labFields(): LabField[] {
  const out: LabField[] = [];
  const walk = (shape: z.ZodRawShape, prefix: string) => {
    for (const [key, s] of Object.entries(shape)) {
      const inner = unwrap(s as z.ZodType);
      const p = prefix + key;
      if (inner instanceof z.ZodObject) walk(inner.shape, `${p}.`);
      else {
        const meta = ((s as z.ZodType).meta() ?? inner.meta() ?? {}) as FieldMeta;
        out.push({ path: p, schema: s as z.ZodType, meta, numeric: inner instanceof z.ZodNumber });
      }
    }
  };
  walk(LabSchema.shape, '');
  return out;
}

/** `nodes[1].ip` from zod's path `['nodes', 1, 'ip']`. */
export function fieldName(p: readonly PropertyKey[]): string {
  return p.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}

/** The first zod issue as (field, one-line detail). */
export function toLabIssue(issue: z.core.$ZodIssue): { field: string; detail: string } {
  const p = [...issue.path];
  let detail = issue.message.split('\n')[0];
  if (issue.code === 'unrecognized_keys') {
    p.push(issue.keys[0]);
    // Name the suggestion by its full path, as the user writes it (service.replica -> service.replicas).
    const m = /^unknown key; did you mean (.+)\?$/.exec(detail);
    if (m) detail = `unknown key; did you mean ${fieldName([...issue.path, m[1]])}?`;
  }
  return { field: fieldName(p) || 'lab', detail };
}

/** The JSON Schema written to lab.schema.json: what a lab file may contain (every field optional). */
export function labJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(LabSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // Our own meta keys are for the README and the env parser, not for editors.
    override: (ctx) => {
      delete (ctx.jsonSchema as Record<string, unknown>).env;
      delete (ctx.jsonSchema as Record<string, unknown>).defaultText;
    },
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'swarm-lab lab file (lab.yml / lab.json)',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
