/**
 * Pure parsers for Docker CLI output: `docker node ls`, `docker network inspect`,
 * `docker service inspect`. Tested on the seed's real output (test/fixtures/discovery).
 */
import { inspected } from '../engine-api';

/** A parse failure that names what was parsed and what was missing. */
export class ParseError extends Error {
  constructor(
    readonly what: string,
    detail: string,
  ) {
    super(`cannot parse ${what}: ${detail}`);
    this.name = 'ParseError';
  }
}

export interface SwarmNodeRow {
  readonly id: string;
  /** Hostname as docker reports it (may carry a domain, e.g. `centos7-10.localdomain`). */
  readonly hostname: string;
  readonly status: string;
  readonly availability: string;
  /** `Leader`, `Reachable`, `Unreachable` or empty for workers. */
  readonly managerStatus: string;
  readonly engineVersion: string;
  /** The row marked `*`: the node the command ran on. */
  readonly self: boolean;
}

/** Parse the default table of `docker node ls` by the header's column offsets. */
export function parseNodeLs(text: string): SwarmNodeRow[] {
  const lines = text.split('\n').filter((l) => l.trim());
  const header = lines.findIndex((l) => /^ID\s+HOSTNAME\s+STATUS/.test(l));
  if (header < 0) throw new ParseError('docker node ls', 'no "ID HOSTNAME STATUS" header');
  const h = lines[header];
  const cols = ['HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'].map((c) => h.indexOf(c));
  if (cols.some((c) => c < 0)) throw new ParseError('docker node ls', `header lacks a column: ${h.trim()}`);
  const cut = (l: string, i: number): string => l.slice(cols[i], i + 1 < cols.length ? cols[i + 1] : undefined).trim();
  return lines.slice(header + 1).map((l) => {
    const idPart = l.slice(0, cols[0]).trim();
    const self = /\*\s*$/.test(idPart);
    return {
      id: idPart.replace(/\s*\*\s*$/, ''),
      hostname: cut(l, 0),
      status: cut(l, 1),
      availability: cut(l, 2),
      managerStatus: cut(l, 3),
      engineVersion: cut(l, 4),
      self,
    };
  });
}

export interface NetworkEndpoint {
  /** Key in `Containers`: a container id, or `ingress-sbox`. */
  readonly key: string;
  /** Endpoint name: for tasks `<service>.<slot>.<task id>`; `ingress-endpoint` / `gateway_ingress-sbox` for the sbox. */
  readonly name: string;
  readonly ip: string;
  readonly prefix: number;
  readonly mac: string;
}

export interface NetworkInfo {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly subnet: string;
  readonly gateway: string;
  /** VXLAN ids (overlay networks). */
  readonly vnis: number[];
  readonly peers: Array<{ readonly name: string; readonly ip: string }>;
  /** Endpoints on the node where inspect ran (local containers plus the sbox). */
  readonly endpoints: NetworkEndpoint[];
}

/** The first object of a `docker ... inspect` answer (a JSON array), or undefined when empty. */
function firstInspected(json: string, command: string): Record<string, any> | undefined {
  let arr: unknown;
  try {
    arr = JSON.parse(json);
  } catch (e) {
    throw new ParseError(command, `not JSON: ${(e as Error).message}`);
  }
  // The CLI's inspect is an array; the Engine API answers the object itself.
  const first = inspected(arr)[0];
  return (first && typeof first === 'object' ? first : undefined) as Record<string, any> | undefined;
}

/** Parse `docker network inspect <net>` (a JSON array with one network). */
export function parseNetworkInspect(json: string): NetworkInfo {
  const n = firstInspected(json, 'docker network inspect');
  if (!n || typeof n.Id !== 'string') throw new ParseError('docker network inspect', 'no network object with an Id');
  return networkInfo(n);
}

/**
 * Parse `docker network inspect <a> <b> ...`: the CLI prints a JSON array of the networks it found
 * (`[]` when none) and exits non-zero naming the missing ones on stderr, so each is looked up by name.
 * Several answers at once (one per network) may be the CLI's arrays or the Engine API's objects.
 */
export function parseNetworksInspect(...jsons: readonly string[]): Map<string, NetworkInfo> {
  const out = new Map<string, NetworkInfo>();
  for (const json of jsons) {
    let v: unknown;
    try {
      v = JSON.parse(json.trim() || '[]');
    } catch (e) {
      throw new ParseError('docker network inspect', `not JSON: ${(e as Error).message}`);
    }
    if (!v || typeof v !== 'object') throw new ParseError('docker network inspect', 'not a JSON array or object');
    for (const n of inspected(v) as Array<Record<string, any>>) {
      if (typeof n?.Id !== 'string') throw new ParseError('docker network inspect', 'no network object with an Id');
      const info = networkInfo(n);
      out.set(info.name, info);
    }
  }
  return out;
}

function networkInfo(n: Record<string, any>): NetworkInfo {
  const cfg = (n.IPAM?.Config ?? []).find((c: any) => typeof c?.Subnet === 'string' && c.Subnet.includes('.'));
  if (!cfg) throw new ParseError(`docker network inspect ${n.Name}`, 'no IPv4 IPAM config (Subnet)');
  const vxlan = String(n.Options?.['com.docker.network.driver.overlay.vxlanid_list'] ?? '');
  const endpoints: NetworkEndpoint[] = Object.entries((n.Containers ?? {}) as Record<string, any>).map(([key, c]) => {
    const [ip, prefix] = String(c.IPv4Address ?? '').split('/');
    return {
      key,
      name: String(c.Name ?? ''),
      ip,
      prefix: Number(prefix),
      mac: String(c.MacAddress ?? '').toLowerCase(),
    };
  });
  return {
    id: n.Id,
    name: String(n.Name),
    driver: String(n.Driver),
    subnet: cfg.Subnet,
    gateway: String(cfg.Gateway ?? ''),
    vnis: vxlan
      ? vxlan
          .split(',')
          .map((v) => Number(v.trim()))
          .filter((v) => Number.isInteger(v))
      : [],
    peers: ((n.Peers ?? []) as any[]).map((p) => ({ name: String(p.Name), ip: String(p.IP) })),
    endpoints,
  };
}

/** The stderr line of a multi-network inspect that names `name` (else all of stderr). */
export function inspectErrorFor(stderr: string, name: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const word = new RegExp(`(^|[\\s:"'])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s"'])`);
  return lines.find((l) => word.test(l)) ?? lines.join('; ');
}

export interface TaskEndpoint {
  readonly containerId: string;
  readonly service: string;
  /** Replicated services: the task slot; global services: 0 (their tasks are named by node, see `nodeId`). */
  readonly slot: number;
  /** Global services: the node id in the task's name. */
  readonly nodeId?: string;
  readonly taskId: string;
  readonly ip: string;
  readonly mac: string;
}

/**
 * Task endpoints of `service` among a network's endpoints. Names are `<service>.<slot>.<task id>` for a
 * replicated service and `<service>.<node id>.<task id>` for a global one (the lab's client service).
 */
export function taskEndpoints(net: NetworkInfo, service: string): TaskEndpoint[] {
  const out: TaskEndpoint[] = [];
  for (const e of net.endpoints) {
    const m = /^(.+)\.(\d+|[a-z0-9]{25})\.([a-z0-9]{25})$/.exec(e.name);
    if (!m || m[1] !== service) continue;
    const where = /^\d+$/.test(m[2]) ? { slot: Number(m[2]) } : { slot: 0, nodeId: m[2] };
    out.push({ containerId: e.key, service: m[1], ...where, taskId: m[3], ip: e.ip, mac: e.mac });
  }
  return out.sort((a, b) => a.slot - b.slot);
}

/** The ingress-sbox endpoint (`Containers["ingress-sbox"]`) of a network, if present. */
export function sboxEndpoint(net: NetworkInfo): NetworkEndpoint | undefined {
  return net.endpoints.find((e) => e.key === 'ingress-sbox');
}

export interface ServiceInfo {
  readonly id: string;
  readonly name: string;
  readonly replicas?: number;
  readonly ports: Array<{
    readonly protocol: string;
    readonly targetPort: number;
    readonly publishedPort: number;
    readonly publishMode: string;
  }>;
  readonly endpointMode: string;
  /** VIPs per network id (address without prefix). */
  readonly vips: Array<{ readonly networkId: string; readonly ip: string }>;
}

/** Parse `docker service inspect <svc>`. */
export function parseServiceInspect(json: string): ServiceInfo {
  const s = firstInspected(json, 'docker service inspect');
  if (!s || typeof s.ID !== 'string') throw new ParseError('docker service inspect', 'no service object with an ID');
  const ports = ((s.Endpoint?.Ports ?? s.Spec?.EndpointSpec?.Ports ?? []) as any[]).map((p) => ({
    protocol: String(p.Protocol),
    targetPort: Number(p.TargetPort),
    publishedPort: Number(p.PublishedPort),
    publishMode: String(p.PublishMode ?? 'ingress'),
  }));
  return {
    id: s.ID,
    name: String(s.Spec?.Name ?? ''),
    ...(s.Spec?.Mode?.Replicated ? { replicas: Number(s.Spec.Mode.Replicated.Replicas) } : {}),
    ports,
    endpointMode: String(s.Endpoint?.Spec?.Mode ?? s.Spec?.EndpointSpec?.Mode ?? 'vip'),
    vips: ((s.Endpoint?.VirtualIPs ?? []) as any[]).map((v) => ({
      networkId: String(v.NetworkID),
      ip: String(v.Addr).split('/')[0],
    })),
  };
}

/** Lab node name for a docker hostname: exact match, else the part before the first dot. */
export function matchNodeName(hostname: string, names: readonly string[]): string | undefined {
  if (names.includes(hostname)) return hostname;
  const short = hostname.split('.')[0];
  return names.find((n) => n === short);
}

/** What verify reads from `docker info --format '{{json .}}'` (one CLI process instead of four). */
export interface DockerInfo {
  /** The daemon's version, the same string `docker version --format '{{.Server.Version}}'` prints. */
  readonly serverVersion: string;
  /** `inactive`, `pending`, `active`, `error`, `locked`. */
  readonly localNodeState: string;
  readonly controlAvailable: boolean;
  /** FirewallBackend.Driver (API 1.49+); undefined where the CLI has no such field or the daemon reports none. */
  readonly firewallBackend?: string;
}

/**
 * Parse `docker info --format '{{json .}}'`. A daemon that does not answer gives an error string
 * instead: newer CLIs exit non-zero with the reason on stderr, 20.10 exits 0 and lists it in
 * `ServerErrors`; either way `ServerVersion` is empty.
 */
export function parseDockerInfo(r: {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}): DockerInfo | { readonly error: string } {
  let v: Record<string, any> | undefined;
  try {
    v = JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    v = undefined;
  }
  const serverErrors = Array.isArray(v?.ServerErrors) ? (v?.ServerErrors as unknown[]).map(String) : [];
  const version = typeof v?.ServerVersion === 'string' ? v.ServerVersion : '';
  if (r.code !== 0 || serverErrors.length || !version) {
    const why = r.stderr.trim().split('\n').pop() || serverErrors.join('; ') || (v ? 'no ServerVersion' : 'not JSON');
    return { error: why };
  }
  const fw = v!.FirewallBackend as { Driver?: unknown } | null | undefined;
  const driver = typeof fw?.Driver === 'string' && fw.Driver ? fw.Driver : undefined;
  return {
    serverVersion: version,
    localNodeState: String(v!.Swarm?.LocalNodeState ?? ''),
    controlAvailable: v!.Swarm?.ControlAvailable === true,
    ...(driver ? { firewallBackend: driver } : {}),
  };
}

/** Does a reported backend program Docker's rules with nftables (`nftables`, `nftables+firewalld`)? */
export function isNftablesBackend(driver: string | undefined): boolean {
  return driver?.split('+')[0] === 'nftables';
}
