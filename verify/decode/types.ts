/**
 * Result types of the per-layer decoders. Decoders never throw and never log: data they
 * cannot read comes back as a `DecodeIssue` naming the layer and what was wrong.
 */

export type IssueKind = 'truncated' | 'unsupported' | 'malformed';

export interface DecodeIssue {
  readonly kind: IssueKind;
  /** Layer that could not be decoded, e.g. `ipv4`, `pcapng`. */
  readonly layer: string;
  readonly detail: string;
  /** Byte offset in the frame (or file, for file-level issues). */
  readonly offset: number;
}

export function issue(kind: IssueKind, layer: string, detail: string, offset: number): DecodeIssue {
  return { kind, layer, detail, offset };
}

export function isIssue(x: unknown): x is DecodeIssue {
  return typeof x === 'object' && x !== null && 'kind' in x && 'layer' in x && 'detail' in x;
}

/** Link-layer header types (tcpdump.org/linktypes.html) the decoders know. */
export const LINKTYPE = { RAW_IPV4: 228, ETHERNET: 1, LINUX_SLL: 113, LINUX_SLL2: 276 } as const;

export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17 } as const;

export interface VlanTag {
  readonly tpid: number;
  readonly priority: number;
  readonly dei: boolean;
  readonly id: number;
}

export interface EthernetHeader {
  readonly dst: string;
  readonly src: string;
  /** EtherType after any 802.1Q tags. */
  readonly etherType: number;
  readonly vlans: readonly VlanTag[];
}

/** Linux cooked capture (`tcpdump -i any`), v1 (SLL) or v2 (SLL2). */
export interface SllHeader {
  readonly version: 1 | 2;
  /** 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  readonly packetType: number;
  readonly arphrd: number;
  readonly address: string;
  readonly protocol: number;
  /** SLL2 only. */
  readonly ifindex?: number;
}

export interface ArpPacket {
  readonly hardwareType: number;
  readonly protocolType: number;
  readonly opcode: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export interface Ipv4Option {
  readonly type: number;
  readonly length: number;
}

export interface Ipv4Header {
  readonly headerLength: number;
  readonly dscp: number;
  readonly ecn: number;
  readonly totalLength: number;
  readonly id: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in bytes. */
  readonly fragmentOffset: number;
  /** True for any piece of a fragmented datagram; only the first carries the L4 header. */
  readonly fragment: boolean;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly src: string;
  readonly dst: string;
  readonly options: readonly Ipv4Option[];
}

export interface UdpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  readonly checksum: number;
}

export interface TcpFlags {
  readonly fin: boolean;
  readonly syn: boolean;
  readonly rst: boolean;
  readonly psh: boolean;
  readonly ack: boolean;
  readonly urg: boolean;
  readonly ece: boolean;
  readonly cwr: boolean;
}

export interface TcpOptions {
  readonly mss?: number;
  readonly windowScale?: number;
  readonly sackPermitted?: boolean;
  readonly sack?: ReadonlyArray<readonly [number, number]>;
  readonly timestamp?: { readonly value: number; readonly echo: number };
  /** Option kinds in wire order (NOP=1, EOL=0 included). */
  readonly kinds: readonly number[];
}

export interface TcpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly headerLength: number;
  /** Raw flag bits (9 bits incl. NS). */
  readonly flagBits: number;
  readonly flags: TcpFlags;
  readonly window: number;
  readonly checksum: number;
  readonly urgentPointer: number;
  readonly options: TcpOptions;
  readonly payloadLength: number;
}

export interface IcmpHeader {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** Echo request/reply only. */
  readonly id?: number;
  readonly seq?: number;
  /** For errors: the quoted datagram (IPv4 header and what follows of it). */
  readonly quoted?: DecodedPacket;
}

export interface VxlanHeader {
  readonly flags: number;
  /** The I flag: the VNI field is valid. */
  readonly vniValid: boolean;
  readonly vni: number;
}

/** One frame decoded as far as its layers go. */
export interface DecodedPacket {
  readonly linkType: number;
  readonly eth?: EthernetHeader;
  readonly sll?: SllHeader;
  readonly arp?: ArpPacket;
  readonly ipv4?: Ipv4Header;
  readonly udp?: UdpHeader;
  readonly tcp?: TcpHeader;
  readonly icmp?: IcmpHeader;
  readonly vxlan?: VxlanHeader;
  /** The Ethernet frame inside VXLAN, decoded the same way. */
  readonly inner?: DecodedPacket;
  /** First layer that could not be decoded (the layers above it are absent). */
  readonly issue?: DecodeIssue;
}
