/**
 * `ingress`: a client outside the swarm calls the published port of any node; the routing mesh
 * (host DNAT -> ingress_sbox MARK/IPVS/SNAT -> ingress overlay, VXLAN when the task is elsewhere)
 * brings it to a task, and the answer retraces the way (shared/docs/packet-path.md, seed 000).
 * Hop ids are stable: fixtures, reports and the e2e matrix compare them across rounds.
 */
import { vxlanTcpFilter } from '../capture-filter';
import type { NodeInfo, TaskInfo } from '../model';
import { checkId, ingressStateChecks } from '../engine/state';
import type { HopSpec, PathContext, PathSpec, ResolvedPoint } from './types';

export const ingress: PathSpec = {
  id: 'ingress',
  title: 'Published port through the ingress routing mesh',
  description:
    'A client outside the swarm connects to the published port on any node. The node DNATs the connection into its ' +
    'ingress_sbox namespace, where a firewall mark selects an IPVS service that picks a task round robin and SNATs ' +
    'to the sandbox address; the ingress overlay carries the packet to the task, in VXLAN when the task runs on ' +
    'another node. The answer comes back the same way and is un-NATed twice before it reaches the client.',
  variants: [
    {
      id: 'remote',
      title: 'task on another node',
      description: 'The ingress overlay wraps the packet in VXLAN between the entry node and the serving node.',
    },
    {
      id: 'local',
      title: 'task on the entry node',
      description: 'ingress_sbox and the task share the entry node: the packet never leaves it, no VXLAN.',
    },
  ],
  balanced: true,
  targets: (t) => t.service.tasks,
  variantOf: (entry, task) => (task.node === entry.name ? 'local' : 'remote'),
  resolve: resolveIngress,
  stateChecks: ingressStateChecks,
};

function resolveIngress(p: PathContext): HopSpec[] {
  const { topology: t, entry: A, target: task } = p;
  const B = t.nodes.find((n) => n.name === task.node);
  if (!B) return [];
  const remote = ingress.variantOf(A, task) === 'remote';
  const pub = t.service.publishedPort;
  const tgt = t.service.targetPort;
  const client = t.client.ip;
  const cport = p.clientPort;
  const sbox = A.sboxIngressIp;
  const vx = (src: NodeInfo, dst: NodeInfo) => ({
    src: src.ip,
    dst: dst.ip,
    dport: t.ingress.dataPathPort,
    vni: t.ingress.vni,
  });
  const host = (n: NodeInfo): ResolvedPoint => ({ node: n.name, ns: 'host', iface: n.nic });
  const sboxAt = (n: NodeInfo, iface: string): ResolvedPoint => ({
    node: n.name,
    ns: 'sbox',
    iface,
    nsPath: n.ns.sbox,
  });
  const overlay = (n: NodeInfo): ResolvedPoint => ({
    node: n.name,
    ns: 'overlay',
    iface: n.ifaces.overlayVxlan,
    nsPath: n.ns.overlay,
  });
  const taskPoint = (x: TaskInfo): ResolvedPoint => ({
    node: x.node,
    ns: 'task',
    // Found by address at discovery (eth2 on Docker 28 when ingress attaches last); `?` names the gap.
    iface: x.ingressIface ?? '?',
    nsPath: x.sandboxKey,
    containerId: x.containerId,
  });
  const F = {
    nic: `tcp port ${pub} and host ${client}`,
    vxlan: vxlanTcpFilter(t.ingress.dataPathPort, pub),
    ns: `tcp port ${pub}`,
    task: `tcp port ${pub} or tcp port ${tgt}`,
  };
  const fwd = { src: sbox, dst: task.ingressIp, dport: pub, ethDst: task.ingressMac };
  const back = { src: task.ingressIp, dst: sbox, sport: pub, ethDst: A.sboxIngressMac };
  const toClient = { src: A.ip, dst: client, sport: pub, ...(cport ? { dport: cport } : {}) };
  const fromClient = (dst: string) => ({ src: client, dst, dport: pub, ...(cport ? { sport: cport } : {}) });
  const where = (n: NodeInfo) => `${n.name} (${n === A ? 'entry' : 'serving'})`;
  type H = Omit<HopSpec, 'optional' | 'phase'> & { optional?: boolean; phase?: HopSpec['phase'] };
  const hop = (h: H): HopSpec => ({ optional: false, phase: 'connect', ...h });

  const request: HopSpec[] = [
    hop({
      id: '1-entry-host-in',
      step: '1',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      ns: 'host',
      title: `client -> ${A.name}:${pub} on ${A.nic}`,
      explanation: `The client's SYN arrives on ${A.name}'s network card, addressed to the published port ${pub}.`,
      point: host(A),
      filter: F.nic,
      identifies: true,
      expect: { match: 'syn', ...fromClient(A.ip) },
    }),
    hop({
      id: '2-entry-host-dnat',
      step: '2',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      ns: 'host',
      title: `${A.name} host iptables: DNAT ${pub} -> ${A.sboxGwbridgeIp}:${pub}, FORWARD accepts`,
      explanation: `The host's nat table rewrites the destination to ingress_sbox on docker_gwbridge, and its filter FORWARD chain must let the packet through.`,
      checks: [checkId.hostDnat(A.name), checkId.hostForward(A.name)],
    }),
    hop({
      id: '3-entry-sbox-eth1',
      step: '3',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      ns: 'sbox',
      optional: true,
      title: `DNAT'd into ingress_sbox ${A.ifaces.sboxGwbridge}`,
      explanation: 'The rewritten SYN enters the ingress_sbox namespace from docker_gwbridge.',
      point: sboxAt(A, A.ifaces.sboxGwbridge),
      filter: F.ns,
      identifies: true,
      expect: { match: 'syn', ...fromClient(A.sboxGwbridgeIp) },
    }),
    hop({
      id: '4-entry-sbox-mark',
      step: '4',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      ns: 'sbox',
      title: `${A.name} ingress_sbox mangle MARK on dpt:${pub}`,
      explanation: 'A mangle rule stamps the packet with the firewall mark that names this service.',
      checks: [checkId.sboxMark(A.name)],
    }),
    hop({
      id: '5-entry-sbox-ipvs',
      step: '5',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      ns: 'sbox',
      title: `${A.name} IPVS FWM = MARK, real servers = tasks`,
      explanation: 'IPVS matches the mark and picks the next task round robin among the real servers it schedules.',
      checks: [checkId.ipvsFwm(A.name), checkId.ipvsReals(A.name)],
    }),
    hop({
      id: '6-entry-sbox-snat',
      step: '6',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      ns: 'sbox',
      title: `${A.name} ingress_sbox SNAT to ${sbox}`,
      explanation: 'The source becomes the sandbox address on the ingress network, so the task answers through it.',
      checks: [checkId.sboxSnat(A.name)],
    }),
    hop({
      id: '7-entry-sbox-eth0',
      step: '7',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      ns: 'sbox',
      optional: true,
      title: `IPVS -> task ${task.ingressIp} on ingress_sbox ${A.ifaces.sboxIngress}`,
      explanation: `The SYN leaves ingress_sbox towards the chosen task ${task.ingressIp} on the ingress network.`,
      point: sboxAt(A, A.ifaces.sboxIngress),
      filter: F.ns,
      expect: { match: 'syn', ...fwd },
    }),
  ];
  if (remote) {
    request.push(
      hop({
        id: '8-entry-overlay-vxlan0',
        step: '8',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        ns: 'overlay',
        title: `${where(A)} overlay ${A.ifaces.overlayVxlan}`,
        explanation: `The overlay bridge hands the frame for the remote task's MAC to the VXLAN device.`,
        point: overlay(A),
        filter: F.ns,
        expect: { match: 'syn', ...fwd },
      }),
      hop({
        id: '8-entry-overlay-fdb',
        step: '8',
        kind: 'state',
        direction: 'request',
        role: 'entry',
        ns: 'overlay',
        title: `${A.name} vxlan0: fdb ${task.ingressMac} -> ${B.ip}, VNI ${t.ingress.vni} port ${t.ingress.dataPathPort}`,
        explanation: `The VXLAN device's forwarding table says which node holds the task's MAC, and which VNI and UDP port to use.`,
        checks: [checkId.fdb(A.name), checkId.vxlanLink(A.name)],
      }),
      hop({
        id: '9-entry-host-vxlan-out',
        step: '9',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        ns: 'host',
        title: `VXLAN ${A.ip} -> ${B.ip}:${t.ingress.dataPathPort} leaves ${A.name} ${A.nic}`,
        explanation: `The frame leaves ${A.name} wrapped in a UDP datagram to ${B.name}.`,
        point: host(A),
        filter: F.vxlan,
        expect: { match: 'syn', ...fwd, vxlan: vx(A, B) },
      }),
      hop({
        id: '9-serving-host-vxlan-in',
        step: '9',
        kind: 'packet',
        direction: 'request',
        role: 'serving',
        ns: 'host',
        title: `VXLAN arrives at ${B.name} ${B.nic}`,
        explanation: `The datagram arrives on ${B.name}'s network card.`,
        point: host(B),
        filter: F.vxlan,
        expect: { match: 'syn', ...fwd, vxlan: vx(A, B) },
      }),
      hop({
        id: '9-serving-overlay-link',
        step: '9',
        kind: 'state',
        direction: 'request',
        role: 'serving',
        ns: 'overlay',
        title: `${B.name} vxlan0: VNI ${t.ingress.vni} port ${t.ingress.dataPathPort}, fdb back to ${A.name}`,
        explanation: `${B.name}'s VXLAN device must use the same VNI and port, and know the way back to ${A.name}.`,
        checks: [checkId.vxlanLink(B.name), checkId.fdb(B.name)],
      }),
      hop({
        id: '10-serving-overlay-vxlan0',
        step: '10',
        kind: 'packet',
        direction: 'request',
        role: 'serving',
        ns: 'overlay',
        title: `${where(B)} overlay ${B.ifaces.overlayVxlan}, decapsulated`,
        explanation: `${B.name}'s kernel unwraps the datagram and the frame enters its ingress overlay bridge.`,
        point: overlay(B),
        filter: F.ns,
        expect: { match: 'syn', ...fwd },
      }),
    );
  }
  request.push(
    hop({
      id: '11-serving-task-eth0',
      step: '11',
      kind: 'packet',
      direction: 'request',
      role: 'serving',
      ns: 'task',
      title: `task ${task.ingressIp} ${task.ingressIface ?? '?'} on ${B.name}`,
      explanation: `The SYN reaches the task's interface on the ingress network.`,
      point: taskPoint(task),
      filter: F.task,
      expect: { match: 'syn', ...fwd },
    }),
    hop({
      id: '12-serving-task-redirect',
      step: '12',
      kind: 'state',
      direction: 'request',
      role: 'serving',
      ns: 'task',
      title: `task REDIRECT ${pub} -> ${tgt}`,
      explanation: `Inside the task a nat rule redirects the published port ${pub} to the port the server listens on (${tgt}).`,
      checks: [checkId.redirect(B.name, task.containerId)],
    }),
  );

  const reply: HopSpec[] = [
    hop({
      id: 'R11-serving-task-eth0',
      step: 'R11',
      kind: 'packet',
      direction: 'reply',
      role: 'serving',
      ns: 'task',
      title: `SYN-ACK leaves task ${task.ingressIp} ${task.ingressIface ?? '?'}`,
      explanation: 'The task accepts the connection: its SYN-ACK goes back to the sandbox address.',
      point: taskPoint(task),
      filter: F.task,
      expect: { match: 'synack', ...back },
    }),
  ];
  if (remote) {
    reply.push(
      hop({
        id: 'R10-serving-overlay-vxlan0',
        step: 'R10',
        kind: 'packet',
        direction: 'reply',
        role: 'serving',
        ns: 'overlay',
        title: `reply on ${B.name} overlay ${B.ifaces.overlayVxlan}`,
        explanation: `The answer crosses ${B.name}'s overlay bridge to its VXLAN device.`,
        point: overlay(B),
        filter: F.ns,
        expect: { match: 'synack', ...back },
      }),
      hop({
        id: 'R9-serving-host-vxlan-out',
        step: 'R9',
        kind: 'packet',
        direction: 'reply',
        role: 'serving',
        ns: 'host',
        title: `VXLAN ${B.ip} -> ${A.ip} leaves ${B.name} ${B.nic}`,
        explanation: `The answer leaves ${B.name} in VXLAN towards ${A.name}.`,
        point: host(B),
        filter: F.vxlan,
        expect: { match: 'synack', ...back, vxlan: vx(B, A) },
      }),
      hop({
        id: 'R9-entry-host-vxlan-in',
        step: 'R9',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        ns: 'host',
        title: `VXLAN reply arrives at ${A.name} ${A.nic}`,
        explanation: `The answer arrives on ${A.name}'s network card.`,
        point: host(A),
        filter: F.vxlan,
        expect: { match: 'synack', ...back, vxlan: vx(B, A) },
      }),
      hop({
        id: 'R8-entry-overlay-vxlan0',
        step: 'R8',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        ns: 'overlay',
        title: `reply on ${A.name} overlay ${A.ifaces.overlayVxlan}`,
        explanation: `${A.name} unwraps it onto its ingress overlay bridge.`,
        point: overlay(A),
        filter: F.ns,
        expect: { match: 'synack', ...back },
      }),
    );
  }
  reply.push(
    hop({
      id: 'R7-entry-sbox-eth0',
      step: 'R7',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      ns: 'sbox',
      optional: true,
      title: `reply into ingress_sbox ${A.ifaces.sboxIngress}`,
      explanation: 'The answer enters ingress_sbox, where IPVS and conntrack undo the SNAT.',
      point: sboxAt(A, A.ifaces.sboxIngress),
      filter: F.ns,
      expect: { match: 'synack', ...back },
    }),
    hop({
      id: 'R3-entry-sbox-eth1',
      step: 'R3',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      ns: 'sbox',
      optional: true,
      title: `reply leaves ingress_sbox ${A.ifaces.sboxGwbridge} un-NATed`,
      explanation: 'It leaves ingress_sbox towards the host, addressed to the client again.',
      point: sboxAt(A, A.ifaces.sboxGwbridge),
      filter: F.ns,
      expect: {
        match: 'synack',
        src: A.sboxGwbridgeIp,
        dst: client,
        sport: pub,
        ...(cport ? { dport: cport } : {}),
      },
    }),
    hop({
      id: 'R1-entry-host-out',
      step: 'R1',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      ns: 'host',
      title: `reply ${A.name}:${pub} -> client on ${A.nic}`,
      explanation: `The host undoes its DNAT and the SYN-ACK leaves ${A.name} from the published port: the handshake is done.`,
      point: host(A),
      filter: F.nic,
      expect: { match: 'synack', ...toClient },
    }),
  );

  // Past the handshake: the HTTP request reaching the task, the answer leaving it and its way to the client.
  const exchange: HopSpec[] = [
    hop({
      id: '13-serving-task-http-request',
      step: '13',
      kind: 'packet',
      phase: 'request',
      direction: 'request',
      role: 'serving',
      ns: 'task',
      title: `HTTP request reaches task ${task.ingressIp}`,
      explanation: "The client's HTTP request (the first segment with data) reaches the task.",
      point: taskPoint(task),
      filter: F.task,
      expect: { match: 'request', ...fwd },
    }),
    hop({
      id: 'R13-serving-task-http-response',
      step: 'R13',
      kind: 'packet',
      phase: 'response',
      direction: 'reply',
      role: 'serving',
      ns: 'task',
      title: `HTTP answer leaves task ${task.ingressIp}`,
      explanation: 'The web server in the task answers: the first segment with data leaves the task.',
      point: taskPoint(task),
      filter: F.task,
      expect: { match: 'response', ...back },
    }),
  ];
  if (remote)
    exchange.push(
      hop({
        id: 'R13-serving-host-vxlan-response',
        step: 'R13',
        kind: 'packet',
        phase: 'response',
        direction: 'reply',
        role: 'serving',
        ns: 'host',
        title: `HTTP answer leaves ${B.name} ${B.nic} in VXLAN`,
        explanation: `The answer leaves ${B.name} in VXLAN towards ${A.name}.`,
        point: host(B),
        filter: F.vxlan,
        expect: { match: 'response', ...back, vxlan: vx(B, A) },
      }),
      hop({
        id: 'R13-entry-host-vxlan-response',
        step: 'R13',
        kind: 'packet',
        phase: 'response',
        direction: 'reply',
        role: 'entry',
        ns: 'host',
        title: `HTTP answer arrives at ${A.name} ${A.nic} in VXLAN`,
        explanation: `The answer arrives on ${A.name}.`,
        point: host(A),
        filter: F.vxlan,
        expect: { match: 'response', ...back, vxlan: vx(B, A) },
      }),
    );
  exchange.push(
    hop({
      id: 'R14-entry-host-http-response',
      step: 'R14',
      kind: 'packet',
      phase: 'response',
      direction: 'reply',
      role: 'entry',
      ns: 'host',
      title: `HTTP answer ${A.name}:${pub} -> client on ${A.nic}`,
      explanation: `The answer leaves ${A.name} to the client from the published port.`,
      point: host(A),
      filter: F.nic,
      expect: { match: 'response', ...toClient },
    }),
    hop({
      id: 'R15-client-body',
      step: 'R15',
      kind: 'client',
      phase: 'response',
      direction: 'reply',
      role: 'entry',
      ns: 'client',
      title: `client reads HTTP 200 naming ${B.name}`,
      explanation: `The client reads the whole answer: status 200 and the page that names the serving node ${B.name}.`,
      client: { status: 200, bodyIncludes: `Host IP is ${B.ip}` },
    }),
  );
  return [...request, ...reply, ...exchange];
}
