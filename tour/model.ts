/**
 * The guided tour as data: for each path of a judged round, one request's hops in path order, each with
 * its plain words (the path model's title and explanation), where it is (node, namespace), the command
 * to look at it yourself there, and the real packet lines the engine matched in that point's pcap.
 * Reads the typed verdict and topology only; paths not in the round are listed from the path model.
 */
import { captureFileName } from '../verify/engine/captures';
import type { HopVerdict, PathVerdict, RequestVerdict, RoundVerdict } from '../verify/engine/types';
import type { NodeInfo, Topology } from '../verify/model';
import { PATHS, type HopSpec, type PathSpec } from '../verify/paths';

export interface TourStep {
  readonly path: string;
  readonly index: number;
  readonly of: number;
  readonly hop: string;
  readonly step: string;
  readonly title: string;
  readonly explanation: string;
  readonly kind: HopVerdict['kind'];
  readonly status: HopVerdict['status'];
  /** Node the hop is on; absent for what the client itself saw. */
  readonly node?: string;
  /** `host`, `ingress_sbox`, `overlay namespace`, `task`, ... in plain words. */
  readonly where: string;
  /** The command to run on `node` (or, for client hops, in the lab namespace on this machine). */
  readonly command: string;
  readonly runsOn: 'node' | 'client';
  /** Real lines from the pcap at this point (packet hops), the state seen (state hops). */
  readonly evidence: readonly string[];
  /** The pcap holding the lines, as the report names it (`pcaps/<node>__<ns>__<iface>.pcap`). */
  readonly pcap?: string;
  /** Packet hops: a bounded tcpdump for the live tour. */
  readonly liveCommand?: string;
}

export interface TourPath {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly verdict?: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
  readonly request?: {
    readonly index: number;
    readonly entry: string;
    readonly served?: string;
    readonly variant?: string;
  };
  readonly steps: readonly TourStep[];
}

const NS_WORDS: Record<string, string> = {
  host: 'host namespace',
  sbox: 'ingress_sbox namespace',
  overlay: 'ingress overlay namespace',
  task: 'task container namespace',
  uoverlay: 'user overlay namespace',
  client: 'the client',
};

/** What to run for a state check, by the check's kind (`<node>:<kind>[:<container>]`). */
const STATE_COMMANDS: ReadonlyArray<[RegExp, string]> = [
  [/^host-dnat$/, 'iptables -t nat -S DOCKER-INGRESS'],
  [/^host-forward$|^host-egress-forward$/, 'iptables -L FORWARD -nv --line-numbers'],
  [/^(sbox|client)-mark$/, 'iptables -t mangle -S'],
  [/^(sbox|client)-ipvs-(fwm|reals)$/, 'ipvsadm -Ln'],
  [/^(sbox|client)-snat$|^host-masquerade$/, 'iptables -t nat -S POSTROUTING'],
  [/^u?overlay-fdb$/, 'bridge fdb show dev {vxlan}'],
  [/^u?overlay-vxlan$/, 'ip -d link show {vxlan}'],
  [/^uoverlay-neigh$/, 'ip neigh show'],
  [/^task-redirect$|^client-dns-dnat$/, 'iptables -t nat -S'],
  [/^client-vip-addr$/, 'ip -4 addr show'],
  [/^dns-vip$/, "docker service inspect --format '{{json .Endpoint.VirtualIPs}}' {service}"],
  [/^dns-tasks$/, 'docker service ps {service}'],
];

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const inNs = (nsPath: string | undefined, cmd: string): string => (nsPath ? `nsenter --net=${nsPath} ${cmd}` : cmd);

function nodeOf(h: HopVerdict, r: RequestVerdict): string | undefined {
  if (h.point) return h.point.node;
  if (h.ns === 'client') return undefined;
  return h.role === 'entry' ? r.entryNode : (r.servedNode ?? r.entryNode);
}

/** A state hop's namespace file: the nearest packet hop of the request on the same node and namespace. */
function nsPathOf(h: HopVerdict, r: RequestVerdict, node: NodeInfo | undefined): string | undefined {
  if (h.ns === 'host' || h.ns === 'client') return undefined;
  if (h.ns === 'sbox' && node) return node.ns.sbox;
  if (h.ns === 'overlay' && node) return node.ns.overlay;
  const near = r.hops.find((x) => x.point && x.point.node === node?.name && x.ns === h.ns && x.point.nsPath);
  return near?.point?.nsPath;
}

/** The path model's hops for this request (filters and check ids are not kept in the verdict). */
export function specHops(spec: PathSpec, r: RequestVerdict, t: Topology): Map<string, HopSpec> {
  const entry = t.nodes.find((n) => n.name === r.entryNode);
  if (!entry) return new Map();
  const targets = spec.targets(t, entry);
  const target =
    targets.find((x) => [x.ingressIp, x.id, x.containerId].includes(r.servedTask ?? '')) ??
    targets.find((x) => x.node === r.servedNode) ??
    targets[0];
  if (!target) return new Map();
  try {
    const hops = spec.resolve({ topology: t, entry, target, ...(r.clientPort ? { clientPort: r.clientPort } : {}) });
    return new Map(hops.map((h) => [h.id, h]));
  } catch {
    return new Map();
  }
}

export function stepsOf(p: PathVerdict, r: RequestVerdict, t: Topology, spec?: PathSpec): TourStep[] {
  const model = spec ? specHops(spec, r, t) : new Map<string, HopSpec>();
  return r.hops.map((h, i) => {
    const nodeName = nodeOf(h, r);
    const node = t.nodes.find((n) => n.name === nodeName);
    const nsPath = h.point?.nsPath ?? nsPathOf(h, r, node);
    const where = `${nodeName ? `${nodeName} (${h.role}), ` : ''}${NS_WORDS[h.ns] ?? h.ns}${h.point ? ` ${h.point.iface}` : ''}`;
    const vxlan =
      h.ns === 'uoverlay'
        ? (r.hops.find((x) => x.ns === 'uoverlay' && x.point)?.point?.iface ?? 'vxlan0')
        : (node?.ifaces.overlayVxlan ?? 'vxlan0');
    let command: string;
    let liveCommand: string | undefined;
    let runsOn: TourStep['runsOn'] = 'node';
    if (h.kind === 'packet' && h.point) {
      const filter = model.get(h.id)?.filter ?? `tcp port ${t.service.publishedPort}`;
      command = inNs(nsPath, `tcpdump -ni ${h.point.iface} -c 5 ${quote(filter)}`);
      liveCommand = inNs(nsPath, `timeout 15 tcpdump -lni ${h.point.iface} -c 4 ${quote(filter)}`);
    } else if (h.kind === 'client' || h.ns === 'client') {
      runsOn = 'client';
      command = `curl -s -m 5 http://${t.nodes.find((n) => n.name === r.entryNode)?.ip ?? r.entryNode}:${t.service.publishedPort}/`;
    } else {
      const k = model.get(h.id)?.checks?.[0]?.split(':')[1] ?? '';
      const cmd =
        STATE_COMMANDS.find(([re]) => re.test(k))?.[1] ?? (h.ns === 'host' ? 'iptables-save' : 'iptables-save');
      command = inNs(nsPath, cmd.replace('{vxlan}', vxlan).replace('{service}', t.service.name));
    }
    const evidence = h.kind === 'packet' ? h.packets.slice(0, 4) : [h.seen].filter(Boolean);
    return {
      path: p.id,
      index: i + 1,
      of: r.hops.length,
      hop: h.id,
      step: h.step,
      title: h.title,
      explanation: h.explanation,
      kind: h.kind,
      status: h.status,
      ...(nodeName ? { node: nodeName } : {}),
      where,
      command,
      runsOn,
      evidence,
      ...(h.point
        ? {
            pcap: `pcaps/${captureFileName({ node: h.point.node, ns: h.point.ns, iface: h.point.iface, containerId: h.point.containerId ?? '' })}`,
          }
        : {}),
      ...(liveCommand ? { liveCommand } : {}),
    };
  });
}

/** The request the tour follows on a path: a proven one across nodes (most hops) first. */
export function pickRequest(p: PathVerdict): RequestVerdict | undefined {
  const score = (r: RequestVerdict) => (r.ok ? 2 : 0) + (r.variant === 'remote' ? 1 : 0);
  return [...p.requests].sort((a, b) => score(b) - score(a) || a.index - b.index)[0];
}

export function buildTour(verdict: RoundVerdict, topology: Topology): TourPath[] {
  return PATHS.map((spec) => {
    const p = verdict.paths.find((x) => x.id === spec.id);
    const r = p && pickRequest(p);
    if (!p || !r) return { id: spec.id, title: spec.title, description: spec.description, steps: [] };
    return {
      id: spec.id,
      title: spec.title,
      description: spec.description,
      verdict: p.ok ? 'PASS' : p.exitCode === 1 ? 'FAIL' : 'INCONCLUSIVE',
      request: {
        index: r.index,
        entry: r.entryNode,
        ...(r.servedNode ? { served: r.servedNode } : {}),
        ...(r.variant ? { variant: r.variant } : {}),
      },
      steps: stepsOf(p, r, topology, spec),
    };
  });
}
