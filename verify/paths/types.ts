/**
 * Paths as data: the one model every stage reads. A `PathSpec` says, for one documented flow
 * (shared/docs/packet-path.md, the seeds), which hops a request and its answer take, where each
 * hop is captured, the packet expected there and the state checks behind it. The capture plan,
 * the engine, the reports and the e2e matrix all read the hops a spec resolves; nothing else
 * lists capture points or hop ids. A new path is one file in verify/paths/ plus one line in
 * verify/paths/index.ts.
 */
import type { NodeInfo, NodeSnapshot, NsKind, RequestRecord, TaskInfo, Topology } from '../model';
import type { EngineProfile } from '../engine/profiles';
import type { StateCheck } from '../engine/types';

/** `remote`: the serving task runs on another node than the entry (VXLAN); `local`: on the entry node. */
export type PathVariant = 'remote' | 'local';
export type Direction = 'request' | 'reply';
/** Which node a hop is on, relative to one request. */
export type NodeRole = 'entry' | 'serving';
/** `packet`: a segment at a capture point; `state`: rules/tables in a snapshot; `client`: what the client read. */
export type HopKind = 'packet' | 'state' | 'client';
/** Where in the exchange a hop is: the TCP handshake, the HTTP request, the HTTP answer. */
export type HopPhase = 'connect' | 'request' | 'response';
/** Namespace kind of a hop; `client` for what the client itself saw. */
export type HopNs = NsKind | 'client';

/** A capture point resolved against the topology (the plan captures exactly these). */
export interface ResolvedPoint {
  readonly node: string;
  readonly ns: NsKind;
  readonly iface: string;
  /** Namespace file for `nsenter --net=`; absent for the host namespace. */
  readonly nsPath?: string;
  readonly containerId?: string;
}

/**
 * The segment expected at a packet hop. Fields left out are not checked (IPVS may change the source port).
 * `syn`: the client's SYN (seq = ISN); `synack`: the answer to it (ack = ISN + 1); `request`: the first
 * client segment with payload (seq = ISN + 1); `response`: the first server segment with payload
 * (seq = server ISN + 1).
 */
export interface PacketExpect {
  readonly match: 'syn' | 'synack' | 'request' | 'response';
  readonly src: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly ethDst?: string;
  /** Outer headers when the segment must travel in VXLAN; absent = must not be encapsulated. */
  readonly vxlan?: { readonly src: string; readonly dst: string; readonly dport: number; readonly vni: number };
}

/** One hop of a path, resolved for one (entry node, serving task) pair. */
export interface HopSpec {
  /** Stable id (`9-entry-host-vxlan-out`); the same across rounds, fixtures and reports. */
  readonly id: string;
  /** Step number in the path's document (`R` prefix for the answer's way back). */
  readonly step: string;
  /** Short title with the resolved names (node, interface, addresses). */
  readonly title: string;
  /** One plain sentence for a newcomer (guided tour, report tooltip): what happens here and why. */
  readonly explanation: string;
  readonly kind: HopKind;
  readonly phase: HopPhase;
  readonly direction: Direction;
  readonly role: NodeRole;
  readonly ns: HopNs;
  /**
   * A point the documentation does not require. Not capturing it does not make a round inconclusive;
   * a capture taken there that lacks the packet is still evidence and can be the first broken hop.
   */
  readonly optional: boolean;
  /** Packet hops: where to capture. */
  readonly point?: ResolvedPoint;
  /** Packet hops: pcap-filter at `point` that keeps this hop's segments (the plan ORs the filters per point). */
  readonly filter?: string;
  /** Packet hops: the segment expected. */
  readonly expect?: PacketExpect;
  /** Packet hops: the client's SYN can be recognised here (by client address/port) before any NAT picks the target. */
  readonly identifies?: boolean;
  /** State hops: ids of the state checks (from the path's `stateChecks`) that make up this hop. */
  readonly checks?: readonly string[];
  /** Client hops: the HTTP status the client must read, and text its body must contain. */
  readonly client?: { readonly status: number; readonly bodyIncludes?: string };
}

/** What a path's resolver needs for one request. */
export interface PathContext {
  readonly topology: Topology;
  /** The node the request enters at (the client side). */
  readonly entry: NodeInfo;
  /** The task the request is checked against (the one the packets show served it, or a candidate). */
  readonly target: TaskInfo;
  /** Client source port when known. */
  readonly clientPort?: number;
  readonly request?: RequestRecord;
}

export interface PathVariantSpec {
  readonly id: PathVariant;
  readonly title: string;
  readonly description: string;
}

/** What a path's state checks read. */
export interface PathStateProps {
  readonly topology: Topology;
  readonly snapshots: readonly NodeSnapshot[];
  readonly profileOf: (node: NodeInfo) => EngineProfile;
  /** Nodes that received this path's requests. */
  readonly entryNodes: ReadonlySet<string>;
  /** This path's requests (the dns path judges what the resolver answered). */
  readonly requests?: readonly RequestRecord[];
}

export interface PathSpec {
  /** `ingress`, `service-vip`, ... (the `--paths` value and the `path` of a RequestRecord). */
  readonly id: string;
  /** Plain words, e.g. "Published port through the ingress routing mesh". */
  readonly title: string;
  /** A paragraph for the guided tour and the report header. */
  readonly description: string;
  readonly variants: readonly PathVariantSpec[];
  /** Requests on this path are load-balanced over the targets: judge the round robin. */
  readonly balanced: boolean;
  /** Tasks that may serve a request entering at `entry` (each is resolved as a candidate). */
  targets(topology: Topology, entry: NodeInfo): readonly TaskInfo[];
  variantOf(entry: NodeInfo, target: TaskInfo): PathVariant;
  /** The hops in path order (request, answer, then the HTTP exchange) for one request. */
  resolve(ctx: PathContext): readonly HopSpec[];
  /** Every state check the resolved hops may name, with typed facts. */
  stateChecks(props: PathStateProps): readonly StateCheck[];
}

/** What a judged hop keeps of its spec (engine/types.ts `HopVerdict` extends it). */
export type HopIdentity = Pick<
  HopSpec,
  'id' | 'step' | 'title' | 'explanation' | 'kind' | 'phase' | 'direction' | 'role' | 'ns' | 'optional' | 'point'
>;
