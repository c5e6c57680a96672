/**
 * Diagnosis of a broken hop from the nodes' own state: each likely cause at that hop is checked
 * against the snapshot and reported `confirmed` (quoting the rule or value that explains it) or
 * `not found` (quoting what the snapshot shows instead). Causes the snapshot cannot decide (a
 * firewall in front of the node, checksum offload) stay `unchecked`.
 */
import type { NodeInfo, NodeSnapshot, TaskInfo, Topology } from '../model';
import { parseIptablesSave, walkChain, type WalkPacket } from './iptables';
import { profileFor } from './profiles';
import { checkId, walkWords } from './state';
import type { Cause, HopVerdict, StateCheck } from './types';

export interface CauseContext {
  readonly hop: HopVerdict;
  readonly topology: Topology;
  readonly snapshots: readonly NodeSnapshot[];
  readonly state: readonly StateCheck[];
  readonly entry: NodeInfo;
  readonly task: TaskInfo;
}

type Finding = Omit<Cause, 'text'>;
interface CauseRule {
  readonly hop: RegExp;
  readonly text: (c: CauseContext) => string;
  /** Absent: the snapshot cannot decide it. */
  readonly check?: (c: CauseContext) => Finding;
}

const confirmed = (evidence: string): Finding => ({ status: 'confirmed', evidence });
const notFound = (evidence: string): Finding => ({ status: 'not found', evidence });
const unchecked = (evidence: string): Finding => ({ status: 'unchecked', evidence });

const snapOf = (c: CauseContext, node: string) => c.snapshots.find((s) => s.node === node);
const servingNode = (c: CauseContext) => c.topology.nodes.find((n) => n.name === c.task.node);

/** A state check as a finding: broken = confirmed (its `seen`), ok = not found. */
function fromCheck(c: CauseContext, id: string): Finding {
  const s = c.state.find((x) => x.id === id);
  if (!s || s.status === 'not captured') return unchecked(s?.seen ?? `no state check ${id}`);
  return s.status === 'ok' ? notFound(`${s.title}: ${s.seen}`) : confirmed(`${s.title}: ${s.seen}`);
}

function sysctl(c: CauseContext, node: string, index: number, name: string, bad: string): Finding {
  const text = snapOf(c, node)?.host.sysctls;
  if (text === undefined) return unchecked(`no sysctls in the snapshot of ${node}`);
  const v = text.trim().split('\n')[index]?.trim();
  if (v === undefined || v === '') return unchecked(`${name} not readable on ${node}`);
  return v === bad ? confirmed(`${node}: ${name} = ${v}`) : notFound(`${node}: ${name} = ${v}`);
}

/** Walk a table/chain of a namespace's iptables-save for a packet: a DROP/REJECT is the finding. */
function walkFinding(text: string | undefined, where: string, table: string, chain: string, p: WalkPacket): Finding {
  if (!text?.trim()) return unchecked(`no iptables-save of ${where} in the snapshot`);
  const w = walkChain(parseIptablesSave(text), table, chain, p);
  const words = `${where} ${table} ${walkWords(w, chain)}`;
  return w.verdict === 'DROP' || w.verdict === 'REJECT' ? confirmed(words) : notFound(words);
}

/** The task namespace's filter chain walked for a packet. */
function taskWalk(c: CauseContext, chain: 'INPUT' | 'OUTPUT', p: WalkPacket): Finding {
  return walkFinding(taskSnap(c)?.iptablesSave, `task ${c.task.containerId.slice(0, 12)}`, 'filter', chain, p);
}

function neighFinding(c: CauseContext): Finding {
  const text = snapOf(c, c.entry.name)?.sbox.neigh;
  if (text === undefined) return unchecked('no `ip neigh` of ingress_sbox in the snapshot');
  const line = text.split('\n').find((l) => l.trim().startsWith(`${c.task.ingressIp} `));
  if (!line) return confirmed(`${c.entry.name} ingress_sbox has no neighbour entry for ${c.task.ingressIp}`);
  return /FAILED|INCOMPLETE/.test(line)
    ? confirmed(`ingress_sbox: ${line.trim()}`)
    : notFound(`ingress_sbox: ${line.trim()}`);
}

function taskSnap(c: CauseContext) {
  const s = snapOf(c, c.task.node);
  return s && Object.entries(s.tasks).find(([cid]) => c.task.containerId.startsWith(cid.slice(0, 12)))?.[1];
}

function containerFinding(c: CauseContext): Finding {
  const t = taskSnap(c);
  if (t?.status === undefined) return unchecked('no container state in the snapshot');
  return t.status === 'running'
    ? notFound(`container ${c.task.containerId.slice(0, 12)} is ${t.status}`)
    : confirmed(`container ${c.task.containerId.slice(0, 12)} is ${t.status}`);
}

/** `docker top -o pid,stat,comm`: processes in state T (stopped by a signal) cannot answer. */
function stoppedFinding(c: CauseContext): Finding {
  const t = taskSnap(c);
  if (t?.status === 'paused') return confirmed(`container ${c.task.containerId.slice(0, 12)} is paused`);
  if (t?.top === undefined) return unchecked('no process list of the task in the snapshot');
  const rows = t.top
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r.length >= 3);
  const stopped = rows.filter((r) => r[1].startsWith('T'));
  if (stopped.length && stopped.length === rows.length)
    return confirmed(
      `every process of the task is stopped: ${stopped.map((r) => `${r[2]} pid ${r[0]} state ${r[1]}`).join(', ')}`,
    );
  if (stopped.length)
    return confirmed(`stopped: ${stopped.map((r) => `${r[2]} pid ${r[0]} state ${r[1]}`).join(', ')}`);
  return notFound(`processes: ${rows.map((r) => `${r[2]} ${r[1]}`).join(', ') || 'none'}`);
}

/** The packet itself shows it: a field-by-field difference at this hop. */
function diffFinding(c: CauseContext, re: RegExp): Finding {
  const d = c.hop.diffs.filter((x) => re.test(x));
  return d.length
    ? confirmed(`on the wire at ${c.hop.id}: ${d.join('; ')}`)
    : notFound(`no ${re.source} difference at ${c.hop.id}`);
}

function vxlanInput(c: CauseContext, from: NodeInfo, to: NodeInfo | undefined): Finding {
  if (!to) return unchecked('serving node not in the topology');
  return walkFinding(snapOf(c, to.name)?.host.iptablesSave, `${to.name} host`, 'filter', 'INPUT', {
    proto: 'udp',
    src: from.ip,
    dst: to.ip,
    dport: c.topology.ingress.dataPathPort,
    inIface: to.nic,
    ctstate: 'NEW',
    dstLocal: true,
  });
}

const RULES: readonly CauseRule[] = [
  {
    hop: /^1-/,
    text: () => 'the client SYN never reached the entry node: wrong node address or port, or a firewall in front of it',
  },
  {
    hop: /^(2|3)-/,
    text: (c) =>
      `a rule ahead of ${profileFor(c.entry.engineVersion).natIngressChain} (FORWARD, DOCKER-USER) on ${c.entry.name} drops the published port`,
    check: (c) => {
      const s = c.state.find((x) => x.id === checkId.hostForward(c.entry.name));
      const f = s?.facts?.kind === 'forward' ? s.facts : undefined;
      if (!s || !f) return unchecked(s?.seen ?? 'no FORWARD check');
      return f.verdict === 'DROP' || f.verdict === 'REJECT'
        ? confirmed(`${f.rule ? `\`${f.rule}\`` : `policy ${f.verdict}`} in ${f.chainPath.join(' -> ')}`)
        : notFound(`FORWARD: ${s.seen}`);
    },
  },
  {
    hop: /^(2|3)-/,
    text: (c) =>
      `DNAT missing on ${c.entry.name}: a firewalld reload (or iptables -F) wiped ${profileFor(c.entry.engineVersion).natIngressChain}; restart docker to recreate it`,
    check: (c) => fromCheck(c, checkId.hostDnat(c.entry.name)),
  },
  {
    hop: /^(2|3)-/,
    text: (c) => `IP forwarding is off on ${c.entry.name} (net.ipv4.ip_forward=0)`,
    check: (c) => sysctl(c, c.entry.name, 0, 'net.ipv4.ip_forward', '0'),
  },
  {
    hop: /^4-/,
    text: () =>
      'no mangle MARK in ingress_sbox: the service endpoint was not programmed (docker service update --force, or restart docker)',
    check: (c) => fromCheck(c, checkId.sboxMark(c.entry.name)),
  },
  {
    hop: /^(5|7)-/,
    text: () => 'IPVS FWM differs from the mangle MARK',
    check: (c) => fromCheck(c, checkId.ipvsFwm(c.entry.name)),
  },
  {
    hop: /^(5|7)-/,
    text: () => 'IPVS real servers differ from the running tasks, or a real server is not scheduled (weight 0)',
    check: (c) => fromCheck(c, checkId.ipvsReals(c.entry.name)),
  },
  {
    hop: /^(5|7)-/,
    text: () => 'ip_vs not loaded in the node kernel (no IPVS table at all)',
    check: (c) => {
      const s = snapOf(c, c.entry.name)?.sbox;
      if (!s) return unchecked('no ingress_sbox snapshot');
      return s.procIpvs.trim() || s.ipvsadm.trim()
        ? notFound('the IPVS table is there')
        : confirmed('neither ipvsadm -Ln nor /proc/net/ip_vs shows a table');
    },
  },
  {
    hop: /^6-|^R7-|^R3-/,
    text: () => 'SNAT --ipvs to the sbox ingress IP missing: the task would answer the client directly',
    check: (c) => fromCheck(c, checkId.sboxSnat(c.entry.name)),
  },
  {
    hop: /^7-|^8-entry-overlay-vxlan0/,
    text: (c) => `no neighbour entry for the task ${c.task.ingressIp} in ingress_sbox`,
    check: neighFinding,
  },
  {
    hop: /^8-|^9-entry/,
    text: (c) =>
      `vxlan0 fdb on ${c.entry.name} lacks the task MAC or points at the wrong node (gossip on 7946 blocked)`,
    check: (c) => fromCheck(c, checkId.fdb(c.entry.name)),
  },
  {
    hop: /^8-|^9-/,
    text: (c) => `vxlan0 on ${c.entry.name} uses another VNI or UDP port than the ingress network`,
    check: (c) => fromCheck(c, checkId.vxlanLink(c.entry.name)),
  },
  {
    hop: /^R?9-/,
    text: () =>
      'VNI mismatch: the ingress network was recreated on one node only (docker network rm/create ingress); the peer drops foreign VNIs',
    check: (c) => diffFinding(c, /VNI/),
  },
  {
    hop: /^R?9-/,
    text: () =>
      'data-path-port differs between nodes (set with --data-path-port at swarm init); every node must use the same',
    check: (c) => diffFinding(c, /VXLAN dport/),
  },
  {
    hop: /^9-serving|^10-/,
    text: (c) => `${c.task.node} drops UDP ${c.topology.ingress.dataPathPort} from ${c.entry.name} (host INPUT)`,
    check: (c) => vxlanInput(c, c.entry, servingNode(c)),
  },
  {
    hop: /^9-serving|^10-/,
    text: (c) => `vxlan0 on ${c.task.node} uses another VNI or UDP port`,
    check: (c) => fromCheck(c, checkId.vxlanLink(c.task.node)),
  },
  {
    hop: /^9-serving-host-vxlan-in/,
    text: () =>
      'a firewall between the nodes drops UDP 4789 (firewalld: open 4789/udp), or checksum offload corrupts the outer UDP checksum (ethtool -K <nic> tx-checksum-ip-generic off)',
  },
  {
    hop: /^11-|^R11-|^13-|^R13-serving-task/,
    text: (c) => `the task container on ${c.task.node} is not running`,
    check: containerFinding,
  },
  {
    hop: /^12-|^R11-/,
    text: () => 'REDIRECT published -> target port missing in the task namespace (docker service update --force)',
    check: (c) => fromCheck(c, checkId.redirect(c.task.node, c.task.containerId)),
  },
  {
    hop: /^R11-|^13-/,
    text: (c) => `the task's filter INPUT drops tcp ${c.topology.service.targetPort}`,
    check: (c) =>
      taskWalk(c, 'INPUT', {
        proto: 'tcp',
        src: c.entry.sboxIngressIp,
        dst: c.task.ingressIp,
        dport: c.topology.service.targetPort,
        inIface: c.task.ingressIface ?? 'eth0',
        ctstate: 'NEW',
      }),
  },
  {
    hop: /^R13-serving-task|^R11-/,
    text: () =>
      'the server process in the task is stopped (SIGSTOP) or the container paused: the kernel accepts, nobody answers',
    check: stoppedFinding,
  },
  {
    hop: /^R13-serving-task/,
    text: (c) => `the task's filter OUTPUT drops its answers from port ${c.topology.service.targetPort}`,
    check: (c) =>
      taskWalk(c, 'OUTPUT', {
        proto: 'tcp',
        src: c.task.ingressIp,
        dst: c.entry.sboxIngressIp,
        sport: c.topology.service.targetPort,
        outIface: c.task.ingressIface ?? 'eth0',
        ctstate: 'ESTABLISHED',
      }),
  },
  {
    hop: /^R10-|^R9-|^R8-|^R13-(serving|entry)-host/,
    text: (c) => `${c.entry.name} drops UDP ${c.topology.ingress.dataPathPort} from ${c.task.node} (host INPUT)`,
    check: (c) => {
      const b = servingNode(c);
      return b ? vxlanInput(c, b, c.entry) : unchecked('serving node not in the topology');
    },
  },
  {
    hop: /^R10-|^R9-|^R8-/,
    text: (c) => `vxlan0 fdb on ${c.task.node} lacks the way back to ${c.entry.name}`,
    check: (c) => fromCheck(c, checkId.fdb(c.task.node)),
  },
  {
    hop: /^R1-|^R14-/,
    text: (c) => `conntrack on ${c.entry.name} lost the DNAT, or rp_filter/asymmetric routing drops the reply`,
  },
  {
    hop: /^R15-/,
    text: () => 'the client gave up before the answer (timeout) or read another page than the lab web image serves',
  },
];

const ORDER: Record<Cause['status'], number> = { confirmed: 0, 'not found': 1, unchecked: 2 };

/** Every cause known for the hop, checked against the snapshot; confirmed first. */
export function causesFor(c: CauseContext): Cause[] {
  const out: Cause[] = [];
  for (const r of RULES) {
    if (!r.hop.test(c.hop.id)) continue;
    const f = r.check ? r.check(c) : { status: 'unchecked' as const };
    out.push({ text: r.text(c), ...f });
  }
  return out.sort((a, b) => ORDER[a.status] - ORDER[b.status]);
}
