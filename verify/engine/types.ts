/** What the engine decides: per hop, per request, per state check, per path, per round. */
import type { HopIdentity, PathVariant } from '../paths/types';

export type { Direction, HopKind, HopNs, HopPhase, NodeRole, PathVariant, ResolvedPoint } from '../paths/types';
import type { IntentCheck } from '../intent';

/** `not captured`: the capture point or snapshot needed to judge this hop is absent or failed. */
export type HopStatus = 'ok' | 'missing' | 'wrong' | 'not captured';

/** The one severity order (reports, worst-of, state hops): higher is worse. */
export const SEVERITY: Readonly<Record<HopStatus, number>> = { ok: 0, 'not captured': 1, missing: 2, wrong: 3 };

export function worse(a: HopStatus, b: HopStatus): HopStatus {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

export const isBroken = (s: HopStatus): boolean => s === 'missing' || s === 'wrong';

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

/** A judged hop: the spec's identity fields (id, step, title, explanation, kind, phase, direction, role, ns, optional, point) plus the verdict. */
export interface HopVerdict extends HopIdentity {
  readonly status: HopStatus;
  readonly expected: string;
  readonly seen: string;
  /** Field by field differences for `wrong` (e.g. "VNI 4097, expected 4096"). */
  readonly diffs: readonly string[];
  /** Matching packet lines at this point (the SYN or SYN-ACK first, then the rest of the flow). */
  readonly packets: readonly string[];
  readonly retransmissions?: number;
}

/**
 * What a note on a request is about; the exit code reads the kind, never the text.
 * Failing kinds: client-error, http-status, body-mismatch, no-answer.
 */
export type NoteKind =
  | 'client-error'
  | 'http-status'
  | 'body-mismatch'
  | 'no-answer'
  | 'served-from-body'
  | 'unreached'
  | 'unidentified'
  | 'no-entry'
  | 'no-tasks';

export interface Note {
  readonly kind: NoteKind;
  readonly text: string;
}

export const FAILING_NOTES: ReadonlySet<NoteKind> = new Set([
  'client-error',
  'http-status',
  'body-mismatch',
  'no-answer',
]);

/** A likely cause of a broken hop, confirmed or ruled out from the nodes' own state. */
export interface Cause {
  readonly text: string;
  /** `confirmed`: the snapshot shows it (`evidence` quotes the rule or value); `not found`: looked, absent; `unchecked`: no state to decide. */
  readonly status: 'confirmed' | 'not found' | 'unchecked';
  readonly evidence?: string;
}

export interface FirstBroken {
  readonly hop: string;
  readonly title: string;
  readonly causes: readonly Cause[];
}

export interface RequestVerdict {
  /** Path id (`ingress`, ...). */
  readonly path: string;
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
  /** First hop in path order that is missing or wrong (a captured point that lacks the packet counts, optional or not). */
  readonly firstBroken?: FirstBroken;
  readonly notes: readonly Note[];
  /** Server ISN (from the SYN-ACK), to follow the answer. */
  readonly serverIsn?: number;
}

/** Typed facts a state check read from the snapshot; reports and the e2e matrix read these, not `seen`. */
export type StateFacts =
  | {
      readonly kind: 'dnat';
      /** nat chains the packet walked (PREROUTING -> DOCKER-INGRESS). */
      readonly chainPath: readonly string[];
      readonly chain: string;
      /** `present` with rules, `empty` declared without rules, `absent` not declared. */
      readonly chainState: 'present' | 'empty' | 'absent';
      /** `ip:port` the matching DNAT sends to. */
      readonly target?: string;
      readonly rule?: string;
    }
  | {
      readonly kind: 'forward';
      /** filter chains the packet walked, in order, to the verdict. */
      readonly chainPath: readonly string[];
      readonly verdict: string;
      /** The rule that decided (absent when a chain policy did). */
      readonly rule?: string;
      readonly policy?: boolean;
      readonly port: number;
    }
  | { readonly kind: 'mark'; readonly chain: string; readonly port: number; readonly mark?: number }
  | { readonly kind: 'ipvs-fwm'; readonly fwmark?: number; readonly scheduler?: string }
  | {
      readonly kind: 'ipvs-reals';
      readonly reals: ReadonlyArray<{
        readonly ip: string;
        readonly forward: string;
        readonly weight?: number;
        /** IPVS schedules a real server only with weight > 0. */
        readonly scheduled: boolean;
        readonly activeConn?: number;
        readonly inactConn?: number;
      }>;
    }
  | { readonly kind: 'snat'; readonly dst: string; readonly toSource?: string }
  | { readonly kind: 'fdb'; readonly entries: ReadonlyArray<{ readonly mac: string; readonly dst?: string }> }
  | { readonly kind: 'vxlan'; readonly vni?: number; readonly dstport?: number }
  | {
      readonly kind: 'redirect';
      readonly dst?: string;
      readonly dport: number;
      readonly toPort?: number;
    }
  | { readonly kind: 'sysctl'; readonly values: Readonly<Record<string, string>> }
  /** Addresses on an interface (the VIP /32 on the client's overlay interface). */
  | { readonly kind: 'addr'; readonly iface: string; readonly addresses: readonly string[] }
  | {
      readonly kind: 'neigh';
      readonly entries: ReadonlyArray<{ readonly ip: string; readonly mac?: string; readonly permanent: boolean }>;
    }
  | { readonly kind: 'masquerade'; readonly source: string; readonly outIface: string; readonly rule?: string }
  /** What the embedded DNS answered for a name. */
  | { readonly kind: 'dns'; readonly name: string; readonly answers: readonly string[] };

export interface StateCheck {
  readonly id: string;
  readonly node: string;
  readonly title: string;
  readonly status: HopStatus;
  readonly expected: string;
  readonly seen: string;
  readonly facts?: StateFacts;
}

export interface Distribution {
  readonly counts: Readonly<Record<string, number>>;
  /** Served node per request in order. */
  readonly sequence: readonly string[];
  readonly roundRobin: boolean;
  readonly detail: string;
}

/** One path's verdict in a round. */
export interface PathVerdict {
  readonly id: string;
  readonly title: string;
  readonly ok: boolean;
  /** lib/exit.ts: EXIT.ok, EXIT.fail (a hop or check broken), EXIT.inconclusive (could not judge). */
  readonly exitCode: number;
  readonly summary: string;
  readonly requests: readonly RequestVerdict[];
  /** Ids of the state checks this path named. */
  readonly state: readonly string[];
  readonly distribution?: Distribution;
  readonly firstBroken?: FirstBroken & { readonly request: number };
  /** Time the engine spent judging this path (ms). */
  readonly timeMs: number;
}

export interface RoundVerdict {
  /** Intent checks (lab model vs what the swarm says), listed first; set by verify/intent.ts withIntent. */
  readonly intent?: readonly IntentCheck[];
  readonly ok: boolean;
  /** lib/exit.ts: 0 every path proven; 1 a hop or state check is missing or wrong; 2 not enough captured to judge. */
  readonly exitCode: number;
  readonly summary: string;
  readonly profile: string;
  readonly engineVersion: string;
  readonly paths: readonly PathVerdict[];
  /** Every path's requests, path by path. */
  readonly requests: readonly RequestVerdict[];
  readonly state: readonly StateCheck[];
  /** The first balanced path's distribution (ingress). */
  readonly distribution: Distribution;
  /** Estimated clock offset of each node against the entry node (ms), from the same packet seen on both. */
  readonly clockSkewMs: Readonly<Record<string, number>>;
  readonly firstBroken?: FirstBroken & { readonly request: number; readonly path: string };
  /** Capture files read, by point, with frame counts and decode problems. */
  readonly captures: ReadonlyArray<{
    readonly point: string;
    readonly file: string;
    readonly frames: number;
    readonly tcp: number;
    readonly problem?: string;
  }>;
}
