/**
 * Discovery: ask every node what Docker built for the ingress routing mesh and assemble the
 * typed `Topology` the capture plan and the engine use. Runs the commands over the SSH pool
 * (in parallel across nodes); all parsing is in verify/parse (pure, fixture-tested).
 */
import type { NodeInfo, TaskInfo, Topology } from './model';
import {
  matchNodeName,
  inspectErrorFor,
  NetworkInfo,
  parseDockerInfo,
  parseNetworksInspect,
  parseNodeLs,
  parseServiceInspect,
  sboxEndpoint,
  taskEndpoints,
  type ServiceInfo,
} from './parse/docker';
import {
  IfAddr,
  ifaceInSubnet,
  ifaceWithAddress,
  parseIpAddr,
  parseVxlanLinks,
  pickDockerNetns,
} from './parse/iproute';
import { BatchReads, checked, execBatch } from './batch';
import { apiOrCli, errorWords, inspected } from './engine-api';
import { MissingToolError, parseToolProbe, requiredMissing, toolProbeCommand } from './parse/tools';
import { shQuote, SshPool } from './ssh';

export interface DiscoverProps {
  /** Lab nodes (name = SSH target name, ip = underlay address). */
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly ip: string }>;
  readonly clientIp: string;
  /** Swarm service whose ingress path is verified. */
  readonly service: string;
  /** Where Docker keeps namespace files (`<exec-root>/netns`), or a function of the node. Default `/var/run/docker/netns`. */
  readonly netnsDir?: string | ((node: string) => string);
  /**
   * More networks to read in the same `docker network inspect` (the client paths' user overlay): one
   * CLI process for all. A missing one fails nothing here; `DiscoveryResult.reads` says it is absent.
   */
  readonly extraNetworks?: readonly string[];
  /** Progress: one line per node and step. */
  readonly log?: (node: string, step: string, detail: string) => void;
}

/** A discovery finding that makes verify impossible; names node, what and the fix. */
export class DiscoveryError extends Error {
  constructor(
    readonly node: string,
    readonly step: string,
    detail: string,
  ) {
    super(`${node}: ${step}: ${detail}`);
    this.name = 'DiscoveryError';
  }
}

/** Per-node facts gathered before the cross-node assembly. */
export interface NodeFacts {
  readonly name: string;
  readonly ip: string;
  readonly tools: Record<string, string | undefined>;
  readonly engineVersion: string;
  /** `docker info` FirewallBackend.Driver; absent before API 1.49 (those engines only have iptables). */
  readonly firewallBackend?: string;
  readonly controlAvailable: boolean;
  readonly ingress: NetworkInfo;
  readonly gwbridge: NetworkInfo;
  readonly hostAddrs: IfAddr[];
  /** The node's network inspect and netns listing, as the client paths' discovery reuses them. */
  readonly reads: NodeReads;
}

/** `nsenter --net=<path> <cmd>` (the namespace path is quoted). */
export function inNs(nsPath: string, command: string): string {
  return `nsenter --net=${shQuote(nsPath)} ${command}`;
}

/** `docker inspect` of containers' sandbox (network namespace) paths, one line `<id> <path>` each. */
export function sandboxKeysCommand(containerIds: readonly string[]): string {
  return `docker inspect --format '{{.Id}} {{.NetworkSettings.SandboxKey}}' ${containerIds.join(' ')}`;
}

/** One batch part per container: its sandbox path from the Engine API, or `sandboxKeysCommand` where curl cannot. */
export function sandboxKeyReads(containerIds: readonly string[]): string[] {
  return containerIds.map((id) => apiOrCli(`/containers/${id}/json`, sandboxKeysCommand([id])));
}

/** Container id -> SandboxKey from `sandboxKeysCommand`'s lines or the API's container JSON, one text per part. */
export function parseSandboxKeys(...texts: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const text of texts) {
    if (/^\s*[[{]/.test(text)) {
      for (const c of inspected(JSON.parse(text)) as Array<{
        Id?: unknown;
        NetworkSettings?: { SandboxKey?: unknown };
      }>)
        if (typeof c?.Id === 'string' && typeof c.NetworkSettings?.SandboxKey === 'string')
          out.set(c.Id, c.NetworkSettings.SandboxKey);
      continue;
    }
    for (const l of text.split('\n').filter(Boolean)) {
      const [id, key] = l.trim().split(/\s+/);
      out.set(id, key);
    }
  }
  return out;
}

/**
 * Batch parts reading the networks `names` (Engine API, CLI fallback); the function returned reads
 * their answers once the batch has run: the networks found by name (the API's objects, the CLI's
 * arrays) and one error line per network not found.
 */
export function networkReads(
  b: BatchReads,
  names: readonly string[],
): () => Pick<NodeReads, 'networks' | 'networkErrors'> {
  const parts = names.map((n) =>
    b.add(apiOrCli(`/networks/${encodeURIComponent(n)}`, `docker network inspect ${shQuote(n)}`)),
  );
  return () => {
    const answers = parts.map((i) => b.result(i));
    return {
      networks: parseNetworksInspect(...answers.filter((r) => r?.code === 0).map((r) => r!.stdout)),
      networkErrors: answers
        .filter((r) => r?.code !== 0)
        .map((r) => errorWords(r?.stderr ?? 'no answer').trim())
        .join('\n'),
    };
  };
}

/** Version, swarm state, role and firewall backend in one CLI process (the API's `/info` where curl can). */
export const DOCKER_INFO_COMMAND = `docker info --format '{{json .}}'`;

async function gatherNode(
  pool: SshPool,
  node: { name: string; ip: string },
  netnsDir: string,
  log: DiscoverProps['log'],
  extraNetworks: readonly string[] = [],
): Promise<NodeFacts> {
  const t0 = Date.now();
  // Every first read in one round trip, and no docker CLI process where curl can ask the Engine API
  // (verify/engine-api.ts): the tool probe, the netns listing, the host's addresses, `/info` (version,
  // swarm state, role, firewall backend) and each network. Judged in order: missing tools, then the
  // daemon (without it every docker read fails alike), then the rest.
  const asked = [
    'ingress',
    'docker_gwbridge',
    ...extraNetworks.filter((n) => n !== 'ingress' && n !== 'docker_gwbridge'),
  ];
  const b = new BatchReads();
  const probe = b.add(toolProbeCommand());
  const netns = b.add(`ls -1 ${shQuote(netnsDir)} 2>/dev/null || true`);
  const hostAddrRead = b.add('ip -o addr show');
  const infoRead = b.add(apiOrCli('/info', DOCKER_INFO_COMMAND));
  const networks = networkReads(b, asked);
  await b.run(pool, node.name);
  const tools = parseToolProbe(b.required(probe));
  const missing = requiredMissing(tools, ['docker', 'nsenter', 'ip', 'iptables-save', 'bridge']);
  if (missing.length) throw new MissingToolError(node.name, missing);
  const infoResult = b.result(infoRead) ?? { stdout: '', stderr: 'no answer (the batch ended before it)', code: -1 };
  const info = parseDockerInfo({ ...infoResult, stderr: errorWords(infoResult.stderr) });
  if ('error' in info) {
    const why = info.error;
    throw new DiscoveryError(
      node.name,
      'docker',
      /Cannot connect to the Docker daemon|docker\.sock/.test(why)
        ? `the Docker daemon is not running (${why}); start it (systemctl start docker) or re-run the Ansible provisioning`
        : `\`docker info\` failed: ${why}; check dockerd on the node (journalctl -u docker)`,
    );
  }
  const netnsListing = b.required(netns);
  const hostAddr = b.required(hostAddrRead);
  const version = info.serverVersion;
  const state = info.localNodeState;
  const control = info.controlAvailable;
  const backend = info.firewallBackend;
  if (state !== 'active')
    throw new DiscoveryError(
      node.name,
      'swarm',
      `node is not in a swarm (LocalNodeState=${state}); run the Ansible provisioning (swarm init/join)`,
    );
  const reads: NodeReads = { asked, ...networks(), netnsListing };
  const ingress = networkFrom(
    node.name,
    reads,
    'ingress',
    'ingress network',
    'the swarm has no ingress network (docker network create --ingress ...)',
  );
  const gwbridge = gwbridgeFrom(node.name, reads);
  log?.(
    node.name,
    'discover',
    `docker ${version}${backend ? ` (firewall backend ${backend})` : ''}, ${control ? 'manager' : 'worker'} (${Date.now() - t0} ms)`,
  );
  return {
    name: node.name,
    ip: node.ip,
    tools,
    engineVersion: version,
    ...(backend ? { firewallBackend: backend } : {}),
    controlAvailable: control,
    ingress,
    gwbridge,
    hostAddrs: parseIpAddr(hostAddr),
    reads,
  };
}

/** A network from a node's inspect, or the DiscoveryError naming the node, the step, the CLI's words and `fix`. */
export function networkFrom(
  node: string,
  reads: Pick<NodeReads, 'networks' | 'networkErrors'>,
  name: string,
  step: string,
  fix: string,
): NetworkInfo {
  const n = reads.networks.get(name);
  if (!n)
    throw new DiscoveryError(
      node,
      step,
      `docker network inspect ${name} failed: ${inspectErrorFor(reads.networkErrors, name)}; ${fix}`,
    );
  return n;
}

export function gwbridgeFrom(node: string, reads: Pick<NodeReads, 'networks' | 'networkErrors'>): NetworkInfo {
  return networkFrom(node, reads, 'docker_gwbridge', 'docker_gwbridge', 'it appears once the node joined the swarm');
}

export interface DiscoveryResult {
  readonly topology: Topology;
  /** Interface of each task on the ingress network, by container id (matched by address, `eth0` in the seed). */
  readonly taskIfaces: Readonly<Record<string, string>>;
  /** The service as `docker service inspect` showed it (all its VIPs and ports): the client paths' discovery reuses it. */
  readonly service: ServiceInfo;
  /** What each node's first reads showed, by node name, for the client paths' discovery to reuse. */
  readonly reads: Readonly<Record<string, NodeReads>>;
  /** Each node's tool probe (tool -> path, undefined when missing), by node name: the capture asks no second time. */
  readonly tools: Readonly<Record<string, Readonly<Record<string, string | undefined>>>>;
}

/** One node's first reads, as they came back this round. */
export interface NodeReads {
  /** The networks that inspect asked for. */
  readonly asked: readonly string[];
  /** Networks `docker network inspect` found there, by name (ingress, docker_gwbridge, `extraNetworks`). */
  readonly networks: ReadonlyMap<string, NetworkInfo>;
  /** That inspect's stderr: one line per network it did not find. */
  readonly networkErrors: string;
  /** `ls -1` of Docker's netns dir. */
  readonly netnsListing: string;
}

/** Discover the topology. Throws `DiscoveryError` / `MissingToolError` / SSH errors with node and fix. */
export async function discover(pool: SshPool, props: DiscoverProps): Promise<DiscoveryResult> {
  const nsDirOf = (node: string): string =>
    typeof props.netnsDir === 'function' ? props.netnsDir(node) : (props.netnsDir ?? '/var/run/docker/netns');
  const names = props.nodes.map((n) => n.name);
  const facts = await pool.all(names, (name) =>
    gatherNode(
      pool,
      props.nodes.find((n) => n.name === name)!,
      nsDirOf(name),
      props.log,
      props.extraNetworks,
    ),
  );
  const svc = await readService(pool, facts, names, props.service);
  const perNode = await pool.all(
    facts.map((f) => f.name),
    (name) =>
      discoverNode(
        pool,
        facts.find((x) => x.name === name)!,
        svc,
        nsDirOf(name),
        props,
      ),
  );
  return {
    ...assemble(props, svc, perNode),
    reads: Object.fromEntries(facts.map((f) => [f.name, f.reads])),
    tools: Object.fromEntries(facts.map((f) => [f.name, f.tools])),
  };
}

/** What the manager says about the swarm and the service. */
interface ServiceFacts {
  readonly manager: NodeFacts;
  readonly swarmNodes: ReturnType<typeof parseNodeLs>;
  readonly svc: ReturnType<typeof parseServiceInspect>;
  readonly vip: string;
  readonly port: { readonly publishedPort: number; readonly targetPort: number };
}

async function readService(
  pool: SshPool,
  facts: readonly NodeFacts[],
  names: readonly string[],
  service: string,
): Promise<ServiceFacts> {
  const manager = facts.find((f) => f.controlAvailable);
  if (!manager)
    throw new DiscoveryError(names.join(','), 'swarm', 'no node is a swarm manager; run the Ansible provisioning');
  const b = new BatchReads();
  const nodeLsRead = b.add('docker node ls');
  const svcRead = b.add(
    apiOrCli(`/services/${encodeURIComponent(service)}`, `docker service inspect ${shQuote(service)}`),
  );
  await b.run(pool, manager.name);
  const nodeLs = b.required(nodeLsRead);
  const svcJson = b.result(svcRead);
  if (svcJson?.code !== 0) {
    throw new DiscoveryError(
      manager.name,
      'service',
      `service "${service}" not found (${errorWords(svcJson?.stderr ?? 'no answer').trim()}); deploy it (ansible/site.yml) or pass --service`,
    );
  }
  const svc = parseServiceInspect(svcJson.stdout);
  const vip = svc.vips.find((v) => v.networkId === manager.ingress.id)?.ip;
  if (!vip)
    throw new DiscoveryError(
      manager.name,
      'service',
      `service ${svc.name} has no VIP on the ingress network; publish a port in ingress mode (-p <published>:<target>)`,
    );
  const port = svc.ports.find((p) => p.publishMode === 'ingress' && p.protocol === 'tcp');
  if (!port)
    throw new DiscoveryError(manager.name, 'service', `service ${svc.name} publishes no TCP port in ingress mode`);
  return { manager, swarmNodes: parseNodeLs(nodeLs), svc, vip, port };
}

interface NodeDiscovery {
  readonly node: NodeInfo;
  readonly tasks: readonly TaskInfo[];
  readonly dataPathPort: number;
}

/** One node: its namespaces, the interfaces in them (by subnet/address), its tasks and their ingress interface. */
async function discoverNode(
  pool: SshPool,
  f: NodeFacts,
  s: ServiceFacts,
  netnsDir: string,
  props: DiscoverProps,
): Promise<NodeDiscovery> {
  const name = f.name;
  const ingressId = s.manager.ingress.id;
  const nsList = pickDockerNetns(f.reads.netnsListing, ingressId, netnsDir);
  if (!nsList.sbox)
    throw new DiscoveryError(
      name,
      'namespaces',
      `no ingress_sbox in ${netnsDir}; the node has no ingress endpoint yet (a service must publish a port)`,
    );
  if (!nsList.overlay)
    throw new DiscoveryError(name, 'namespaces', `no overlay namespace *-${ingressId.slice(0, 10)} in ${netnsDir}`);
  const sboxEp = sboxEndpoint(f.ingress);
  const sboxGw = sboxEndpoint(f.gwbridge);
  if (!sboxEp || !sboxGw)
    throw new DiscoveryError(
      name,
      'ingress-sbox',
      'docker network inspect shows no ingress-sbox endpoint on ingress/docker_gwbridge',
    );
  const local = taskEndpoints(f.ingress, props.service);
  // One exec for the namespaces' addresses, the vxlan device and the tasks' sandbox keys (independent reads).
  const [sboxPart, ovAddrPart, ovLinkPart, ...sandboxParts] = await execBatch(pool, name, [
    inNs(nsList.sbox, 'ip -o addr show'),
    inNs(nsList.overlay, 'ip -o addr show'),
    inNs(nsList.overlay, 'ip -d -o link show type vxlan'),
    ...sandboxKeyReads(local.map((t) => t.containerId)),
  ]);
  const sboxAddr = parseIpAddr(checked(sboxPart));
  const ovAddr = parseIpAddr(checked(ovAddrPart));
  const ovLinks = parseVxlanLinks(checked(ovLinkPart));
  const sandboxes = sandboxParts.map(checked);
  const nic = ifaceWithAddress(f.hostAddrs, f.ip);
  if (!nic) throw new DiscoveryError(name, 'host NIC', `no interface holds ${f.ip}; check the lab's node address`);
  const sboxIngress = ifaceInSubnet(sboxAddr, f.ingress.subnet);
  const sboxGwIf = ifaceInSubnet(sboxAddr, f.gwbridge.subnet);
  const bridge = ifaceWithAddress(ovAddr, f.ingress.gateway);
  const vni = s.manager.ingress.vnis[0];
  const vx = ovLinks.find((l) => l.vni === vni) ?? ovLinks[0];
  if (!sboxIngress || !sboxGwIf)
    throw new DiscoveryError(
      name,
      'ingress_sbox',
      `no interface in ${f.ingress.subnet} / ${f.gwbridge.subnet} inside ${nsList.sbox}`,
    );
  if (!bridge || !vx)
    throw new DiscoveryError(
      name,
      'overlay namespace',
      `no bridge holding ${f.ingress.gateway} or no vxlan device inside ${nsList.overlay}`,
    );
  const sandboxOf = parseSandboxKeys(...sandboxes);
  const keys = local.map((t) => {
    const key = sandboxOf.get(t.containerId);
    if (!key) throw new DiscoveryError(name, 'task', `no SandboxKey for container ${t.containerId.slice(0, 12)}`);
    return key;
  });
  // Every task's addresses in one exec. The task's interface on ingress is found by its address:
  // eth0 in the seed, eth2 when ingress attaches last.
  const taskAddrs = await execBatch(
    pool,
    name,
    keys.map((k) => inNs(k, 'ip -o addr show')),
  );
  const tasks = local.map((t, i): TaskInfo => {
    const addrs = parseIpAddr(checked(taskAddrs[i]));
    const itf = ifaceWithAddress(addrs, t.ip);
    if (!itf)
      throw new DiscoveryError(
        name,
        'task',
        `container ${t.containerId.slice(0, 12)} has no interface with its ingress address ${t.ip}`,
      );
    return {
      id: t.taskId,
      slot: t.slot,
      node: name,
      containerId: t.containerId,
      ingressIp: t.ip,
      ingressMac: t.mac,
      sandboxKey: keys[i],
      ingressIface: itf.ifname,
    };
  });
  const row = s.swarmNodes.find((r) => matchNodeName(r.hostname, [name]) === name);
  props.log?.(
    name,
    'discover',
    `sbox ${sboxEp.ip} (${sboxIngress.ifname}) / ${sboxGw.ip} (${sboxGwIf.ifname}), overlay ${vx.ifname} vni ${vx.vni}, ${local.length} task(s)`,
  );
  return {
    dataPathPort: vx.dstport,
    tasks,
    node: {
      name,
      ip: f.ip,
      nic: nic.ifname,
      engineVersion: f.engineVersion,
      ...(f.firewallBackend ? { firewallBackend: f.firewallBackend } : {}),
      swarmRole: row ? (row.managerStatus ? 'manager' : 'worker') : f.controlAvailable ? 'manager' : 'worker',
      leader: row?.managerStatus === 'Leader',
      sboxIngressIp: sboxEp.ip,
      sboxIngressMac: sboxEp.mac,
      sboxGwbridgeIp: sboxGw.ip,
      gwbridgeGateway: f.gwbridge.gateway,
      ns: { sbox: nsList.sbox, overlay: nsList.overlay },
      ifaces: {
        sboxIngress: sboxIngress.ifname,
        sboxGwbridge: sboxGwIf.ifname,
        overlayVxlan: vx.ifname,
        overlayBridge: bridge.ifname,
      },
    },
  };
}

/** The typed topology from the per-node findings, in the lab's node order. */
function assemble(
  props: DiscoverProps,
  s: ServiceFacts,
  perNode: readonly NodeDiscovery[],
): Omit<DiscoveryResult, 'reads' | 'tools'> {
  const names = props.nodes.map((n) => n.name);
  const tasks = perNode.flatMap((p) => p.tasks);
  if (!tasks.length)
    throw new DiscoveryError(
      names.join(','),
      'tasks',
      `service ${s.svc.name} has no running task on the ingress network`,
    );
  if (s.svc.replicas !== undefined && tasks.length < s.svc.replicas)
    props.log?.('*', 'discover', `warning: ${tasks.length} of ${s.svc.replicas} tasks found on the lab nodes`);
  const order = (n: string): number => names.indexOf(n);
  const m = s.manager.ingress;
  const topology: Topology = {
    discoveredAt: new Date().toISOString(),
    client: { ip: props.clientIp },
    nodes: perNode.map((p) => p.node).sort((a, b) => order(a.name) - order(b.name)),
    ingress: {
      id: m.id,
      subnet: m.subnet,
      gateway: m.gateway,
      vni: m.vnis[0],
      dataPathPort: perNode[0]?.dataPathPort ?? 4789,
      peers: m.peers.map((p) => p.ip),
    },
    service: {
      name: s.svc.name,
      id: s.svc.id,
      publishedPort: s.port.publishedPort,
      targetPort: s.port.targetPort,
      vip: s.vip,
      tasks: [...tasks].sort((a, b) => a.slot - b.slot),
    },
  };
  const taskIfaces = Object.fromEntries(tasks.map((t) => [t.containerId, t.ingressIface as string]));
  return { topology, taskIfaces, service: s.svc };
}
