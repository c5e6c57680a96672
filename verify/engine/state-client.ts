/**
 * State checks of the paths that start in a client task (seeds 002, 004), from snapshot text and
 * the client's own answers: in the client container's namespace the VIP /32, the mangle OUTPUT
 * MARK, IPVS FWM with one Masq real per task, the `-m ipvs` SNAT to the container's own address
 * and the embedded DNS DNAT; in the user overlay namespace the vxlan device (VNI, port), PERMANENT
 * neigh and fdb entries for the remote tasks; on the host the docker_gwbridge MASQUERADE; and what
 * the embedded DNS answered. Ids are `<node>:<what>`; each check carries typed facts.
 */
import type { NodeInfo, NodeSnapshot, RequestRecord, Topology } from '../model';
import type { LoadBalancerEndpoint, OverlayEndpoint, UserOverlayTopology } from '../model-paths';
import { parseIpAddr } from '../parse/iproute';
import { markValue, opt, parseIptablesSave, rulesFrom, type Ruleset, walkChain, type WalkPacket } from './iptables';
import { parseIpvs } from './ipvs';
import { parseFdb, parseVxlanLink } from './overlay';
import { mk } from './state';
import type { StateCheck } from './types';

export const clientCheckId = {
  // Where the VIP is balanced (the client container or the network's lb namespace) is in the title, not the id.
  vipAddr: (n: string) => `${n}:vip-addr`,
  mark: (n: string) => `${n}:vip-mark`,
  ipvsFwm: (n: string) => `${n}:vip-ipvs-fwm`,
  ipvsReals: (n: string) => `${n}:vip-ipvs-reals`,
  snat: (n: string) => `${n}:vip-snat`,
  dnsDnat: (n: string) => `${n}:client-dns-dnat`,
  vxlan: (n: string) => `${n}:uoverlay-vxlan`,
  neigh: (n: string) => `${n}:uoverlay-neigh`,
  fdb: (n: string) => `${n}:uoverlay-fdb`,
  dnsVip: (n: string) => `${n}:dns-vip`,
  dnsTasks: (n: string) => `${n}:dns-tasks`,
  masquerade: (n: string) => `${n}:host-masquerade`,
  egressForward: (n: string) => `${n}:host-egress-forward`,
};

const notCaptured = (id: string, node: string, title: string, what: string): StateCheck =>
  mk(id, node, title, 'not captured', what, 'not in the snapshot');

/** The IPv4 addresses in a busybox nslookup answer (after the server block). */
export function nslookupAddresses(text: string): string[] {
  const lines = text.split('\n').map((l) => l.trim());
  // busybox prints the server first ("Server: 127.0.0.11" / "Address: 127.0.0.11:53"); answers follow a Name: line.
  const first = lines.findIndex((l) => /^Name:/.test(l));
  if (first < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(first)) {
    for (const m of l.matchAll(/(?:^Address(?:\s+\d+)?:\s*|^)(\d+\.\d+\.\d+\.\d+)(?![:\d])/g)) out.push(m[1]);
  }
  return [...new Set(out)].sort();
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Remote tasks of the service seen from `node`: the ones the overlay must reach by VXLAN. */
function remoteTasks(u: UserOverlayTopology, node: string): OverlayEndpoint[] {
  return u.tasks.filter((t) => t.node !== node);
}

export interface ClientStateProps {
  readonly topology: Topology;
  readonly snapshots: readonly NodeSnapshot[];
  readonly requests: readonly RequestRecord[];
}

function rulesetOf(text: string | undefined): Ruleset | undefined {
  return text === undefined ? undefined : parseIptablesSave(text);
}

/** Where one node balances the VIP: the namespace, its state, the interface holding the VIP, the MARK chain, the SNAT source. */
export interface VipSite {
  readonly where: 'lb' | 'client';
  /** `client` or `lb namespace`, for titles. */
  readonly label: string;
  readonly state?: {
    readonly iptablesSave: string;
    readonly ipvsadm: string;
    readonly procIpvs: string;
    readonly addr: string;
  };
  readonly iface: string;
  /** mangle chain of the MARK: OUTPUT for the client's own packets, INPUT for packets arriving at the lb. */
  readonly markChain: 'OUTPUT' | 'INPUT';
  readonly snatTo: string;
  /** The network's load-balancer endpoint, when `where` is `lb`. */
  readonly lb?: LoadBalancerEndpoint;
}

export function vipSite(u: UserOverlayTopology, node: string, snap: NodeSnapshot | undefined): VipSite | undefined {
  if (u.vipAt === 'lb') {
    const lb = u.nodes.find((x) => x.name === node)?.lb;
    if (!lb) return undefined;
    return {
      where: 'lb',
      label: 'lb namespace',
      state: snap?.lb,
      iface: lb.iface,
      markChain: 'INPUT',
      snatTo: lb.ip,
      lb,
    };
  }
  const c = u.clients.find((x) => x.node === node);
  if (!c) return undefined;
  return { where: 'client', label: 'client', state: snap?.client, iface: c.iface, markChain: 'OUTPUT', snatTo: c.ip };
}

/** Where the VIP is balanced (client container or the network's lb namespace): VIP /32, MARK, IPVS, SNAT (service-vip). */
export function vipChecks(node: NodeInfo, u: UserOverlayTopology, snap: NodeSnapshot | undefined): StateCheck[] {
  const n = node.name;
  const site = vipSite(u, n, snap);
  const cl = site?.state;
  const L = site?.label ?? (u.vipAt === 'lb' ? 'lb namespace' : 'client');
  if (!site || !cl)
    return [
      notCaptured(clientCheckId.vipAddr(n), n, `${L} VIP /32`, `${u.service.vip}/32`),
      notCaptured(clientCheckId.mark(n), n, `${L} mangle MARK`, `-d ${u.service.vip}/32 MARK`),
      notCaptured(clientCheckId.ipvsFwm(n), n, `${L} IPVS FWM`, 'FWM = MARK'),
      notCaptured(clientCheckId.ipvsReals(n), n, `${L} IPVS real servers`, 'one Masq real per task'),
      notCaptured(clientCheckId.snat(n), n, `${L} SNAT --ipvs`, `SNAT to ${site?.snatTo ?? '?'}`),
    ];
  const c = { iface: site.iface, ip: site.snatTo };
  const out: StateCheck[] = [];
  const vip = u.service.vip;
  const addrs = parseIpAddr(cl.addr).filter((a) => a.ifname === c.iface);
  const has32 = addrs.find((a) => a.address === vip && a.prefix === 32);
  out.push(
    mk(
      clientCheckId.vipAddr(n),
      n,
      `${L} ${c.iface} holds the VIP ${vip}/32`,
      has32 ? 'ok' : 'missing',
      `${vip}/32 on ${c.iface}`,
      addrs.map((a) => `${a.address}/${a.prefix}`).join(', ') || `no address on ${c.iface}`,
      { kind: 'addr', iface: c.iface, addresses: addrs.map((a) => `${a.address}/${a.prefix}`) },
    ),
  );
  const rs = parseIptablesSave(cl.iptablesSave);
  // The rule the kernel meets on the MARK chain for a packet to the VIP (jumps followed).
  const chain = site.markChain;
  const markRule = rulesFrom(rs, 'mangle', chain).find(
    (r) => r.target === 'MARK' && (opt(r, '-d') ?? '').replace(/\/32$/, '') === vip,
  );
  const mark = markRule ? markValue(markRule) : undefined;
  out.push(
    mk(
      clientCheckId.mark(n),
      n,
      `${L} mangle ${chain} -d ${vip}/32 MARK`,
      mark !== undefined ? 'ok' : 'missing',
      `mangle ${chain} -d ${vip}/32 -j MARK --set-xmark <mark>`,
      markRule ? markRule.text : `no MARK for ${vip} in mangle ${chain}`,
      { kind: 'mark', chain, port: u.service.port, ...(mark !== undefined ? { mark } : {}) },
    ),
  );
  const services = parseIpvs(cl.ipvsadm || cl.procIpvs);
  const svc = mark !== undefined ? services.find((s) => s.protocol === 'FWM' && s.fwmark === mark) : undefined;
  out.push(
    mk(
      clientCheckId.ipvsFwm(n),
      n,
      `${L} IPVS FWM ${mark ?? '?'} rr`,
      svc ? (svc.scheduler === 'rr' ? 'ok' : 'wrong') : 'missing',
      `FWM ${mark ?? '<mark>'} rr`,
      svc
        ? `FWM ${svc.fwmark} ${svc.scheduler}`
        : `no FWM ${mark ?? ''} service (${services.map((s) => `${s.protocol} ${s.fwmark ?? s.address}`).join(', ') || 'IPVS table empty'})`,
      {
        kind: 'ipvs-fwm',
        ...(svc?.fwmark !== undefined ? { fwmark: svc.fwmark } : {}),
        ...(svc ? { scheduler: svc.scheduler } : {}),
      },
    ),
  );
  const want = u.tasks.map((t) => t.ip).sort();
  const reals = svc?.reals ?? [];
  const scheduled = reals.filter((r) => r.forward === 'Masq' && (r.weight ?? 1) > 0).map((r) => r.ip);
  out.push(
    mk(
      clientCheckId.ipvsReals(n),
      n,
      `${L} IPVS real servers = tasks (Masq, scheduled)`,
      !svc ? 'missing' : sameSet(scheduled, want) && reals.length === want.length ? 'ok' : 'wrong',
      want.map((ip) => `${ip}:0 Masq`).join(', '),
      reals.map((r) => `${r.ip}:${r.port} ${r.forward} w${r.weight ?? '?'}`).join(', ') || 'no real server',
      {
        kind: 'ipvs-reals',
        reals: reals.map((r) => ({
          ip: r.ip,
          forward: r.forward,
          ...(r.weight !== undefined ? { weight: r.weight } : {}),
          scheduled: (r.weight ?? 1) > 0,
        })),
      },
    ),
  );
  const snat = rulesFrom(rs, 'nat', 'POSTROUTING').find(
    (r) => r.target === 'SNAT' && r.args.includes('--ipvs') && opt(r, '-d') === u.network.subnet,
  );
  const to = snat ? opt(snat, '--to-source') : undefined;
  out.push(
    mk(
      clientCheckId.snat(n),
      n,
      `${L} nat POSTROUTING -d ${u.network.subnet} -m ipvs SNAT to ${c.ip}`,
      !snat ? 'missing' : to === c.ip ? 'ok' : 'wrong',
      `-d ${u.network.subnet} -m ipvs --ipvs -j SNAT --to-source ${c.ip}`,
      snat ? snat.text : `no --ipvs SNAT for ${u.network.subnet} in nat POSTROUTING`,
      { kind: 'snat', dst: u.network.subnet, ...(to ? { toSource: to } : {}) },
    ),
  );
  return out;
}

/** User overlay namespace: vxlan (VNI, port), PERMANENT neigh and fdb entries for the remote tasks. */
export function userOverlayChecks(node: NodeInfo, t: Topology, snap: NodeSnapshot | undefined): StateCheck[] {
  const u = t.userOverlay as UserOverlayTopology;
  const n = node.name;
  const ov = snap?.userOverlay;
  const vni = u.network.vni;
  const port = t.ingress.dataPathPort;
  if (!ov)
    return [
      notCaptured(clientCheckId.vxlan(n), n, 'user overlay vxlan', `VNI ${vni}`),
      notCaptured(clientCheckId.neigh(n), n, 'user overlay neigh', 'PERMANENT'),
      notCaptured(clientCheckId.fdb(n), n, 'user overlay fdb', 'remote MACs'),
    ];
  const link = parseVxlanLink(ov.vxlanLink);
  const okLink = link.vni === vni && link.dstport === port;
  const out: StateCheck[] = [
    mk(
      clientCheckId.vxlan(n),
      n,
      `user overlay vxlan VNI ${vni} port ${port}`,
      link.vni === undefined ? 'missing' : okLink ? 'ok' : 'wrong',
      `vxlan id ${vni} dstport ${port}`,
      link.vni === undefined ? 'no vxlan device details' : `vxlan id ${link.vni} dstport ${link.dstport}`,
      {
        kind: 'vxlan',
        ...(link.vni !== undefined ? { vni: link.vni } : {}),
        ...(link.dstport !== undefined ? { dstport: link.dstport } : {}),
      },
    ),
  ];
  const remote = remoteTasks(u, n);
  const neigh = parseNeigh(ov.neigh);
  const badNeigh = remote.filter(
    (x) => !neigh.some((e) => e.ip === x.ip && e.mac === x.mac.toLowerCase() && e.permanent),
  );
  out.push(
    mk(
      clientCheckId.neigh(n),
      n,
      `user overlay neigh: PERMANENT entries for ${remote.length} remote task(s)`,
      badNeigh.length ? 'missing' : 'ok',
      remote.map((x) => `${x.ip} lladdr ${x.mac} PERMANENT`).join(', ') || 'none needed',
      badNeigh.length
        ? `no PERMANENT entry for ${badNeigh.map((x) => `${x.ip} (${x.mac})`).join(', ')}`
        : `${neigh.filter((e) => e.permanent).length} PERMANENT entries`,
      { kind: 'neigh', entries: neigh },
    ),
  );
  const fdb = parseFdb(ov.fdb);
  const nodeIp = (name: string) => t.nodes.find((x) => x.name === name)?.ip;
  const badFdb = remote.filter((x) => fdb.get(x.mac.toLowerCase()) !== nodeIp(x.node));
  out.push(
    mk(
      clientCheckId.fdb(n),
      n,
      `user overlay fdb: remote task MACs -> their nodes`,
      badFdb.length ? (badFdb.some((x) => fdb.has(x.mac.toLowerCase())) ? 'wrong' : 'missing') : 'ok',
      remote.map((x) => `${x.mac} dst ${nodeIp(x.node)}`).join(', ') || 'none needed',
      badFdb.length
        ? badFdb.map((x) => `${x.mac} -> ${fdb.get(x.mac.toLowerCase()) ?? 'no entry'}`).join(', ')
        : `${remote.length} entr${remote.length === 1 ? 'y' : 'ies'} point at the peers`,
      { kind: 'fdb', entries: [...fdb.entries()].map(([mac, dst]) => ({ mac, dst })) },
    ),
  );
  return out;
}

export interface NeighEntry {
  readonly ip: string;
  readonly mac?: string;
  readonly dev?: string;
  readonly permanent: boolean;
}

/** `ip neigh show` lines: `10.10.0.5 dev vxlan0 lladdr 02:42:0a:0a:00:05 PERMANENT`. */
export function parseNeigh(text: string): NeighEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const w = l.split(/\s+/);
      const at = (k: string) => (w.indexOf(k) >= 0 ? w[w.indexOf(k) + 1] : undefined);
      const mac = at('lladdr')?.toLowerCase();
      const dev = at('dev');
      return { ip: w[0], ...(mac ? { mac } : {}), ...(dev ? { dev } : {}), permanent: w.includes('PERMANENT') };
    });
}

/** Embedded DNS: the client's nat OUTPUT sends 127.0.0.11:53 to the resolver's own port. */
export function dnsDnatCheck(node: NodeInfo, snap: NodeSnapshot | undefined): StateCheck {
  const n = node.name;
  const id = clientCheckId.dnsDnat(n);
  if (!snap?.client) return notCaptured(id, n, 'client DNS DNAT', '127.0.0.11:53 DNAT');
  const rs = parseIptablesSave(snap.client.iptablesSave);
  const rule = rulesFrom(rs, 'nat', 'OUTPUT').find(
    (r) =>
      r.target === 'DNAT' && opt(r, '-d') === '127.0.0.11/32' && opt(r, '-p') === 'udp' && opt(r, '--dport') === '53',
  );
  const to = rule ? opt(rule, '--to-destination') : undefined;
  return mk(
    id,
    n,
    'client nat OUTPUT: 127.0.0.11 udp 53 DNAT to the embedded resolver',
    rule ? 'ok' : 'missing',
    '-d 127.0.0.11/32 -p udp --dport 53 -j DNAT --to-destination 127.0.0.11:<port>',
    rule ? rule.text : 'no DNAT for 127.0.0.11 udp 53 reachable from nat OUTPUT',
    {
      kind: 'dnat',
      chainPath: ['OUTPUT', 'DOCKER_OUTPUT'],
      chain: 'DOCKER_OUTPUT',
      chainState: rule ? 'present' : 'absent',
      ...(to ? { target: to } : {}),
      ...(rule ? { rule: rule.text } : {}),
    },
  );
}

/** What the embedded DNS answered, per node that asked: `<service>` = VIP, `tasks.<service>` = exactly the tasks. */
export function dnsAnswerChecks(
  node: NodeInfo,
  u: UserOverlayTopology,
  requests: readonly RequestRecord[],
): StateCheck[] {
  const n = node.name;
  const ask = (name: string) => requests.find((r) => r.path === 'dns' && r.entryNode === n && r.url === `dns:${name}`);
  const one = (id: string, name: string, want: string[], what: string): StateCheck => {
    const r = ask(name);
    if (!r) return mk(id, n, `DNS ${name}`, 'not captured', want.join(', '), `${name} was not asked from ${n}`);
    const got = r.error && !r.body ? [] : nslookupAddresses(r.body ?? '');
    return mk(
      id,
      n,
      `embedded DNS: ${name} -> ${what}`,
      r.error && !got.length ? 'missing' : sameSet(got, want) ? 'ok' : 'wrong',
      want.join(', '),
      got.length ? got.join(', ') : `no address (${r.error ?? 'empty answer'})`,
      { kind: 'dns', name, answers: got },
    );
  };
  return [
    one(clientCheckId.dnsVip(n), u.service.name, [u.service.vip], `the VIP ${u.service.vip}`),
    one(
      clientCheckId.dnsTasks(n),
      `tasks.${u.service.name}`,
      u.tasks.map((t) => t.ip).sort(),
      `the ${u.tasks.length} running task(s)`,
    ),
  ];
}

/**
 * Host side of egress, walked in the kernel's order for the client's SYN: filter FORWARD must
 * accept it from docker_gwbridge to the host NIC, and nat POSTROUTING must MASQUERADE it.
 */
export function egressChecks(node: NodeInfo, u: UserOverlayTopology, snap: NodeSnapshot | undefined): StateCheck[] {
  const n = node.name;
  const gw = u.nodes.find((x) => x.name === n)?.gwbridge;
  const c = u.clients.find((x) => x.node === n);
  const target = u.egressTarget;
  const rs = rulesetOf(snap?.host.iptablesSave);
  const fwdTitle = `host filter FORWARD accepts ${gw?.iface ?? 'docker_gwbridge'} -> ${node.nic}`;
  const masqTitle = `host nat POSTROUTING MASQUERADEs ${gw?.subnet ?? 'docker_gwbridge'} out of ${node.nic}`;
  if (!rs || !gw || !c || !target)
    return [
      notCaptured(clientCheckId.egressForward(n), n, fwdTitle, 'ACCEPT'),
      notCaptured(clientCheckId.masquerade(n), n, masqTitle, 'MASQUERADE'),
    ];
  const pkt: WalkPacket = {
    proto: 'tcp',
    src: c.gwbridgeIp,
    dst: target.ip,
    dport: target.port,
    inIface: gw.iface,
    outIface: node.nic,
    ctstate: 'NEW',
    dstLocal: false,
    srcLocal: false,
  };
  const fwd = walkChain(rs, 'filter', 'FORWARD', pkt);
  const post = walkChain(rs, 'nat', 'POSTROUTING', pkt);
  const words = (w: typeof fwd, start: string) =>
    w.rule ? `${w.verdict} by \`${w.rule.text}\` (${w.chainPath.join(' -> ')})` : `${start} policy ${w.verdict}`;
  return [
    mk(
      clientCheckId.egressForward(n),
      n,
      fwdTitle,
      fwd.verdict === 'ACCEPT' ? 'ok' : 'wrong',
      `filter FORWARD ACCEPT -i ${gw.iface} -o ${node.nic}`,
      words(fwd, 'FORWARD'),
      {
        kind: 'forward',
        chainPath: fwd.chainPath,
        verdict: fwd.verdict,
        ...(fwd.rule ? { rule: fwd.rule.text } : {}),
        policy: fwd.policy,
        port: target.port,
      },
    ),
    mk(
      clientCheckId.masquerade(n),
      n,
      masqTitle,
      post.verdict === 'MASQUERADE' ? 'ok' : 'missing',
      `-s ${gw.subnet} ! -o ${gw.iface} -j MASQUERADE`,
      words(post, 'POSTROUTING'),
      {
        kind: 'masquerade',
        source: gw.subnet,
        outIface: `!${gw.iface}`,
        ...(post.rule ? { rule: post.rule.text } : {}),
      },
    ),
  ];
}
