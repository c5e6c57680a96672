/** What the engine decides: per hop, per request, per state check, per round. */
import type { IntentCheck } from '../intent';
import type { NsKind } from '../model';

/** `not captured`: the capture point or snapshot needed to judge this hop is absent or failed. */
export type HopStatus = 'ok' | 'missing' | 'wrong' | 'not captured';

/** Which node a capture point or check is on, relative to one request. */
export type NodeRole = 'entry' | 'serving';

/** `remote`: the task runs on another node (VXLAN); `local`: on the entry node (no VXLAN). */
export type PathVariant = 'remote' | 'local';

export type Direction = 'request' | 'reply';

/** A capture point resolved against the topology. */
export interface ResolvedPoint {
  readonly node: string;
  readonly ns: NsKind;
  readonly iface: string;
  readonly containerId?: string;
}

/** A packet seen at a capture point, reduced to what the path checks read. */
export interface Observation {
  readonly point: string;
  readonly frame: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly ethSrc?: string;
  readonly ethDst?: string;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  readonly syn: boolean;
  readonly ackFlag: boolean;
  readonly rst: boolean;
  readonly fin: boolean;
  readonly tsval?: number;
  readonly tsecr?: number;
  readonly payloadLength: number;
  /** Outer headers when the TCP segment travelled inside VXLAN. */
  readonly vxlan?: {
    readonly src: string;
    readonly dst: string;
    readonly sport: number;
    readonly dport: number;
    readonly vni: number;
    readonly vniValid: boolean;
  };
  /** tcpdump-like one-line summary for reports. */
  readonly line: string;
}

export interface HopVerdict {
  /** Stable id, e.g. `9a-entry-host-vxlan-out`; the same across rounds. */
  readonly id: string;
  /** Step number in shared/docs/packet-path.md (`R` prefix for replies). */
  readonly step: string;
  readonly title: string;
  readonly kind: 'packet' | 'state';
  readonly direction: Direction;
  readonly point?: ResolvedPoint;
  readonly optional: boolean;
  readonly status: HopStatus;
  readonly expected: string;
  readonly seen: string;
  /** Field by field differences for `wrong` (e.g. "VNI 4097, expected 4096"). */
  readonly diffs: readonly string[];
  /** Matching packet lines at this point (the SYN or SYN-ACK first, then the rest of the flow). */
  readonly packets: readonly string[];
  readonly retransmissions?: number;
}

export interface RequestVerdict {
  readonly index: number;
  readonly entryNode: string;
  readonly clientPort?: number;
  /** Client ISN and TSval that identify the request at every point. */
  readonly isn?: number;
  readonly tsval?: number;
  readonly variant?: PathVariant;
  readonly servedTask?: string;
  /** Node whose task answered, from the packets. */
  readonly servedNode?: string;
  /** Node named by the HTTP body (`Host IP is <ip>`). */
  readonly bodyNode?: string;
  readonly hops: readonly HopVerdict[];
  readonly ok: boolean;
  /** First hop in path order that is missing or wrong. */
  readonly firstBroken?: { readonly hop: string; readonly title: string; readonly causes: readonly string[] };
  readonly notes: readonly string[];
}

export interface StateCheck {
  readonly id: string;
  readonly node: string;
  readonly title: string;
  readonly status: HopStatus;
  readonly expected: string;
  readonly seen: string;
}

export interface Distribution {
  readonly counts: Readonly<Record<string, number>>;
  /** Served node per request in order. */
  readonly sequence: readonly string[];
  readonly roundRobin: boolean;
  readonly detail: string;
}

export interface RoundVerdict {
  /** Intent checks (lab model vs what the swarm says), listed first; set by verify/intent.ts withIntent. */
  readonly intent?: readonly IntentCheck[];
  readonly ok: boolean;
  /** 0 path proven; 1 a hop or state check is missing or wrong; 2 not enough captured to judge. */
  readonly exitCode: number;
  readonly summary: string;
  readonly profile: string;
  readonly engineVersion: string;
  readonly requests: readonly RequestVerdict[];
  readonly state: readonly StateCheck[];
  readonly distribution: Distribution;
  /** Estimated clock offset of each node against the entry node (ms), from the same packet seen on both. */
  readonly clockSkewMs: Readonly<Record<string, number>>;
  readonly firstBroken?: {
    readonly request: number;
    readonly hop: string;
    readonly title: string;
    readonly causes: readonly string[];
  };
  /** Capture files read, by point, with frame counts and decode problems. */
  readonly captures: ReadonlyArray<{
    readonly point: string;
    readonly file: string;
    readonly frames: number;
    readonly tcp: number;
    readonly problem?: string;
  }>;
}
