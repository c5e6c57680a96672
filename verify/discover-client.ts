/**
 * Discovery and state for the paths that start inside a client task (service-vip, task-to-task,
 * dns, egress): the user overlay (id, subnet, VNI, its namespace on every node), the service's VIP
 * and tasks on it, the client task on every node (overlay and docker_gwbridge interfaces), then
 * per node the client namespace's iptables/IPVS/addresses and the overlay namespace's neigh/fdb.
 */
import { BatchReads, checked, execBatch } from './batch';
import {
  DiscoveryError,
  gwbridgeFrom,
  inNs,
  networkFrom,
  networkReads,
  parseSandboxKeys,
  sandboxKeyReads,
  type DiscoveryResult,
  type NodeReads,
} from './discover';
import type {
  ClientNodeSnapshot,
  ClientTask,
  LoadBalancerEndpoint,
  OverlayEndpoint,
  UserOverlayNode,
  UserOverlayTopology,
} from './model-paths';
import {
  taskEndpoints,
  type NetworkEndpoint,
  type NetworkInfo,
  type ServiceInfo,
  type TaskEndpoint,
} from './parse/docker';
import { ifaceWithAddress, parseIpAddr, parseVxlanLinks, type IfAddr } from './parse/iproute';
import { shQuote, SshPool } from './ssh';

export interface ClientDiscoverProps {
  readonly nodes: readonly string[];
  /** First manager (the user overlay's id, subnet and VNI are read from its answer). */
  readonly manager: string;
  readonly service: string;
  /** The service as the ingress discovery read it this round (`docker service inspect`, parsed): its VIPs and ports. */
  readonly serviceInfo: ServiceInfo;
  /** The ingress discovery's first reads per node (DiscoveryResult.reads): their networks and netns listing are reused. */
  readonly reads?: DiscoveryResult['reads'];
  /** Sandbox key per container id the ingress discovery already found (the served tasks); the rest are inspected. */
  readonly sandboxKeys?: Readonly<Record<string, string>>;
  readonly clientService: string;
  readonly overlayNetwork: string;
  readonly netnsDir?: string | ((node: string) => string);
  readonly log?: (node: string, step: string, detail: string) => void;
}

/** The network's load-balancer namespace file among Docker's: `lb_<first 9 chars of the network id>`. */
export function lbNsOf(listing: string, networkId: string, dir: string): string | undefined {
  const name = listing
    .split('\n')
    .map((l) => l.trim())
    .find((n) => /^lb_\w+$/.test(n) && networkId.startsWith(n.slice(3)));
  return name ? `${dir}/${name}` : undefined;
}

/** The user overlay's namespace file among Docker's: `<n>-<first 10 chars of the network id>`. */
export function overlayNsOf(listing: string, networkId: string, dir: string): string | undefined {
  const suffix = `-${networkId.slice(0, 10)}`;
  const name = listing
    .split('\n')
    .map((l) => l.trim())
    .find((n) => /^\d+-[\w]+$/.test(n) && n.endsWith(suffix));
  return name ? `${dir}/${name}` : undefined;
}

/** The user overlay and docker_gwbridge as this node's inspect showed them. */
function overlayAndGwbridge(
  node: string,
  overlay: string,
  r: Pick<NodeReads, 'networks' | 'networkErrors'>,
): { readonly net: NetworkInfo; readonly gw: NetworkInfo } {
  const net = networkFrom(
    node,
    r,
    overlay,
    'user overlay',
    "the lab's overlay appears on a node once a task uses it (run the Ansible provisioning)",
  );
  return { net, gw: gwbridgeFrom(node, r) };
}

/** A task endpoint on the user overlay with its sandbox and the interface holding its address there. */
function endpointIn(
  node: string,
  net: NetworkInfo,
  t: TaskEndpoint,
  sandboxKey: string | undefined,
  addrs: readonly IfAddr[] | undefined,
): OverlayEndpoint & { taskId: string } {
  if (!sandboxKey) throw new DiscoveryError(node, 'task', `no SandboxKey for container ${t.containerId.slice(0, 12)}`);
  const itf = addrs && ifaceWithAddress([...addrs], t.ip);
  if (!itf)
    throw new DiscoveryError(
      node,
      'task',
      `container ${t.containerId.slice(0, 12)} has no interface with its ${net.name} address ${t.ip}`,
    );
  return { node, containerId: t.containerId, sandboxKey, ip: t.ip, mac: t.mac, iface: itf.ifname, taskId: t.taskId };
}

/** A node's networks and namespace files, in one exec, where the ingress discovery did not read them. */
async function readFirst(pool: SshPool, node: string, asked: readonly string[], dir: string): Promise<NodeReads> {
  const b = new BatchReads();
  const networks = networkReads(b, asked);
  const listing = b.add(`ls -1 ${shQuote(dir)} 2>/dev/null || true`);
  await b.run(pool, node);
  return { asked, ...networks(), netnsListing: b.required(listing) };
}

/**
 * The user overlay, the service's VIP on it and the client task on every node. Reuses what the
 * ingress discovery read in the same round (the service inspect; per node the overlay and
 * docker_gwbridge networks, the netns listing, the served tasks' sandbox keys), so per node it
 * reads the sandbox keys of the containers not known yet (the client tasks, from the Engine API)
 * and the namespaces' `ip` reads, in two execs (the second needs the first's sandbox keys).
 * Without `reads` that name the overlay, it reads the networks itself (one more exec).
 */
export async function discoverClient(pool: SshPool, p: ClientDiscoverProps): Promise<UserOverlayTopology> {
  const nsDirOf = (node: string): string =>
    typeof p.netnsDir === 'function' ? p.netnsDir(node) : (p.netnsDir ?? '/var/run/docker/netns');
  // Each node's networks and namespace files: as the ingress discovery read them this round when it
  // asked for the overlay too (no CLI process of its own), else read here, every node at once. The
  // manager's network is judged first (its errors name it).
  const firstReads = new Map<string, Promise<NodeReads>>();
  const first = (node: string): Promise<NodeReads> => {
    let r = firstReads.get(node);
    if (!r) {
      const known = p.reads?.[node];
      const dir = nsDirOf(node);
      const asked = [p.overlayNetwork, 'docker_gwbridge'];
      r = known?.asked.includes(p.overlayNetwork) ? Promise.resolve(known) : readFirst(pool, node, asked, dir);
      r.catch(() => undefined); // judged below, per node; not an unhandled rejection meanwhile
      firstReads.set(node, r);
    }
    return r;
  };
  for (const n of p.nodes) void first(n);
  const ovl = overlayAndGwbridge(p.manager, p.overlayNetwork, await first(p.manager)).net;
  const svc = p.serviceInfo;
  const vip = svc.vips.find((v) => v.networkId === ovl.id)?.ip;
  if (!vip)
    throw new DiscoveryError(
      p.manager,
      'service',
      `service ${svc.name} has no VIP on ${p.overlayNetwork}; attach it (docker service update --network-add ${p.overlayNetwork} ${svc.name})`,
    );
  const port = svc.ports[0]?.targetPort ?? 80;
  const vni = ovl.vnis[0];
  if (!vni)
    throw new DiscoveryError(p.manager, 'user overlay', `${p.overlayNetwork} shows no vxlanid_list in its options`);
  const nodes: UserOverlayNode[] = [];
  const tasks: OverlayEndpoint[] = [];
  const clients: ClientTask[] = [];
  let vipInLb = false;
  let vipInClient = false;
  await pool.all(p.nodes, async (node) => {
    const dir = nsDirOf(node);
    const read = await first(node);
    const listing = read.netnsListing;
    const { net, gw } = overlayAndGwbridge(node, p.overlayNetwork, read);
    const nsPath = overlayNsOf(listing, ovl.id, dir);
    if (!nsPath) throw new DiscoveryError(node, 'user overlay', `no namespace *-${ovl.id.slice(0, 10)} in ${dir}`);
    const servedEps = taskEndpoints(net, p.service);
    const clientEps = taskEndpoints(net, p.clientService);
    const known = p.sandboxKeys ?? {};
    const unknown = [...servedEps, ...clientEps].filter((t) => !known[t.containerId]).map((t) => t.containerId);
    const lbE = net.endpoints.find((x) => x.key === `lb-${net.name}`);
    const lbNs = lbE ? lbNsOf(listing, ovl.id, dir) : undefined;
    const servedKnown = servedEps.filter((t) => known[t.containerId]);
    // One exec: the overlay namespace, the lb namespace, the served tasks whose sandbox the ingress
    // discovery found, and the sandbox keys of the rest (the client tasks) — independent reads.
    const parts = await execBatch(pool, node, [
      inNs(nsPath, 'ip -o addr show'),
      inNs(nsPath, 'ip -d -o link show type vxlan'),
      ...(lbNs ? [inNs(lbNs, 'ip -o addr show')] : []),
      ...servedKnown.map((t) => inNs(known[t.containerId], 'ip -o addr show')),
      ...sandboxKeyReads(unknown),
    ]);
    const [ovAddrPart, ovLinkPart, ...rest] = parts;
    const lbPart = lbNs ? rest.shift() : undefined;
    const servedParts = rest.splice(0, servedKnown.length);
    const keysParts = rest.splice(0, unknown.length);
    const ovAddr = parseIpAddr(checked(ovAddrPart));
    const ovLinks = parseVxlanLinks(checked(ovLinkPart));
    const keyOf = new Map(Object.entries(known));
    for (const [id, k] of parseSandboxKeys(...keysParts.map(checked))) keyOf.set(id, k);
    const addrsOf = new Map<string, IfAddr[]>();
    servedKnown.forEach((t, i) => addrsOf.set(t.containerId, parseIpAddr(checked(servedParts[i]))));
    // Then the containers whose sandbox was just learnt, in one more exec.
    const later = [...servedEps, ...clientEps].filter((t) => !addrsOf.has(t.containerId) && keyOf.get(t.containerId));
    const laterParts = await execBatch(
      pool,
      node,
      later.map((t) => inNs(keyOf.get(t.containerId)!, 'ip -o addr show')),
    );
    later.forEach((t, i) => addrsOf.set(t.containerId, parseIpAddr(checked(laterParts[i]))));
    const resolve = (t: TaskEndpoint) => endpointIn(node, net, t, keyOf.get(t.containerId), addrsOf.get(t.containerId));
    const served = servedEps.map(resolve);
    const client = clientEps.map(resolve);
    const bridge = ifaceWithAddress(ovAddr, ovl.gateway);
    const vx = ovLinks.find((l) => l.vni === vni);
    if (!bridge || !vx)
      throw new DiscoveryError(
        node,
        'user overlay',
        `no bridge holding ${ovl.gateway} or no vxlan device with VNI ${vni} inside ${nsPath} (seen: ${ovLinks.map((l) => `${l.ifname} vni ${l.vni}`).join(', ') || 'none'})`,
      );
    const gwIface = 'docker_gwbridge';
    const lb = lbE && lbNs && lbPart ? lbEndpoint(node, lbE, lbNs, parseIpAddr(checked(lbPart)), vip) : undefined;
    if (lb?.holdsVip) vipInLb = true;
    nodes.push({
      name: node,
      nsPath,
      vxlanIface: vx.ifname,
      bridgeIface: bridge.ifname,
      gwbridge: { iface: gwIface, subnet: gw.subnet, gateway: gw.gateway },
      ...(lb ? { lb: lb.endpoint } : {}),
    });
    tasks.push(...served.map(({ taskId: _t, ...e }) => e));
    const c = client[0];
    if (!c)
      throw new DiscoveryError(
        node,
        'client task',
        `no task of ${p.clientService} on ${p.overlayNetwork} here; the lab's paths need it (run the Ansible provisioning)`,
      );
    const cAddrs = addrsOf.get(c.containerId)!;
    const gwIf = cAddrs.find((a) => a.ifname !== c.iface && a.ifname !== 'lo' && inSubnet(a.address, gw.subnet));
    if (!gwIf)
      throw new DiscoveryError(
        node,
        'client task',
        `container ${c.containerId.slice(0, 12)} has no interface on docker_gwbridge (${gw.subnet})`,
      );
    if (cAddrs.some((a) => a.ifname === c.iface && a.address === vip && a.prefix === 32)) vipInClient = true;
    clients.push({ ...c, gwbridgeIp: gwIf.address, gwbridgeIface: gwIf.ifname });
    p.log?.(
      node,
      'discover',
      `${p.overlayNetwork} ${vx.ifname} vni ${vx.vni}; client ${c.ip} (${c.iface}) / ${gwIf.address} (${gwIf.ifname}); ${served.length} ${p.service} task(s)`,
    );
  });
  const order = (n: string): number => p.nodes.indexOf(n);
  return {
    network: { name: ovl.name, id: ovl.id, subnet: ovl.subnet, vni },
    service: { name: svc.name, vip, port },
    // Where the VIP /32 sits decides the path; when neither holds it (a broken lab), the lb namespace if there is one.
    vipAt: vipInLb ? 'lb' : vipInClient ? 'client' : nodes.some((n) => n.lb) ? 'lb' : 'client',
    clientService: p.clientService,
    nodes: nodes.sort((a, b) => order(a.name) - order(b.name)),
    tasks: tasks.sort((a, b) => order(a.node) - order(b.node) || a.ip.localeCompare(b.ip)),
    clients: clients.sort((a, b) => order(a.node) - order(b.node)),
  };
}

/** The network's `lb-<network>` endpoint on a node: its namespace, address, MAC and interface there. */
function lbEndpoint(
  node: string,
  e: NetworkEndpoint,
  nsPath: string,
  addrs: readonly IfAddr[],
  vip: string,
): { endpoint: LoadBalancerEndpoint; holdsVip: boolean } {
  const itf = ifaceWithAddress([...addrs], e.ip);
  if (!itf)
    throw new DiscoveryError(
      node,
      'load balancer',
      `${nsPath} has no interface with the lb endpoint's address ${e.ip}`,
    );
  return {
    endpoint: { nsPath, ip: e.ip, mac: e.mac, iface: itf.ifname },
    holdsVip: addrs.some((a) => a.ifname === itf.ifname && a.address === vip && a.prefix === 32),
  };
}

function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}

/**
 * Client namespace state (iptables, IPVS, addresses) and user overlay namespace state (neigh, fdb,
 * vxlan), in one exec per node (verify/batch.ts).
 */
export async function snapshotClient(
  pool: SshPool,
  topo: UserOverlayTopology,
): Promise<Array<ClientNodeSnapshot & { node: string }>> {
  return pool.all(
    topo.nodes.map((n) => n.name),
    async (node) => {
      const n = topo.nodes.find((x) => x.name === node)!;
      const c = topo.clients.find((x) => x.node === node)!;
      const b = new BatchReads();
      const client = balancerReads(b, c.sandboxKey);
      const neigh = b.add(inNs(n.nsPath, 'ip neigh show'));
      const fdb = b.add(inNs(n.nsPath, `bridge fdb show dev ${shQuote(n.vxlanIface)}`));
      const vxlanLink = b.add(inNs(n.nsPath, `ip -d link show ${shQuote(n.vxlanIface)}`));
      const lb = n.lb ? balancerReads(b, n.lb.nsPath) : undefined;
      await b.run(pool, node);
      return {
        node,
        client: { containerId: c.containerId, ...client() },
        userOverlay: { neigh: b.required(neigh), fdb: b.required(fdb), vxlanLink: b.required(vxlanLink) },
        ...(lb ? { lb: lb() } : {}),
      };
    },
  );
}

/** The reads of one namespace where a VIP may be balanced (client or lb): iptables, IPVS (ipvsadm or /proc), addresses. */
function balancerReads(b: BatchReads, nsPath: string): () => NonNullable<ClientNodeSnapshot['lb']> {
  const iptablesSave = b.add(inNs(nsPath, 'iptables-save'));
  const ipvsadm = b.add(inNs(nsPath, 'ipvsadm -Ln'));
  const procIpvs = b.add(inNs(nsPath, 'cat /proc/net/ip_vs'));
  const addr = b.add(inNs(nsPath, 'ip -o addr show'));
  // Read once the batch has run.
  return () => ({
    iptablesSave: b.required(iptablesSave),
    ipvsadm: b.unlessMissing(ipvsadm) ?? '',
    procIpvs: b.optional(procIpvs) ?? '',
    addr: b.required(addr),
  });
}
