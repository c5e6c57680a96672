/** Decode a whole frame layer by layer, down into VXLAN's inner Ethernet frame. */
import { decodeArp } from './arp';
import { decodeIcmp } from './icmp';
import { decodeIpv4 } from './ipv4';
import { LinkResult, decodeEthernet, decodeSll, decodeSll2 } from './link';
import { decodeTcp } from './tcp';
import { DecodedPacket, ETHERTYPE, EthernetHeader, IPPROTO, LINKTYPE, SllHeader, isIssue, issue } from './types';
import { decodeUdp } from './udp';
import { decodeVxlan } from './vxlan';

export interface DecodeProps {
  /** UDP destination ports decoded as VXLAN. Default: 4789 (Docker's data path port). */
  readonly vxlanPorts?: ReadonlySet<number>;
  /** How deep VXLAN-in-VXLAN may nest. Default 2. */
  readonly maxDepth?: number;
}

const DEFAULT_VXLAN = new Set([4789]);
/** Destination unreachable, redirect, time exceeded, parameter problem. */
const ICMP_ERRORS = new Set([3, 5, 11, 12]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function decodePacket(linkType: number, data: Uint8Array, props: DecodeProps = {}): DecodedPacket {
  return decodeAt(linkType, data, 0, props.vxlanPorts ?? DEFAULT_VXLAN, props.maxDepth ?? 2);
}

function decodeAt(linkType: number, b: Uint8Array, o: number, vx: ReadonlySet<number>, depth: number): DecodedPacket {
  const out: Mutable<DecodedPacket> = { linkType };
  let link: LinkResult<EthernetHeader | SllHeader>;
  let etherType: number;
  if (linkType === LINKTYPE.ETHERNET) {
    const r = decodeEthernet(b, o);
    if (isIssue(r)) return { ...out, issue: r };
    out.eth = r.header;
    etherType = r.header.etherType;
    link = r;
  } else if (linkType === LINKTYPE.LINUX_SLL || linkType === LINKTYPE.LINUX_SLL2) {
    const r = linkType === LINKTYPE.LINUX_SLL ? decodeSll(b, o) : decodeSll2(b, o);
    if (isIssue(r)) return { ...out, issue: r };
    out.sll = r.header;
    etherType = r.header.protocol;
    link = r;
  } else {
    return { ...out, issue: issue('unsupported', 'link', `link type ${linkType}`, o) };
  }
  return decodeNetwork(out, b, link.payload, etherType, vx, depth);
}

/** From the network layer on; also used for the datagram quoted in an ICMP error. */
function decodeNetwork(
  out: Mutable<DecodedPacket>,
  b: Uint8Array,
  p: number,
  etherType: number,
  vx: ReadonlySet<number>,
  depth: number,
): DecodedPacket {
  // 802.1Q inside a cooked capture: tags follow the SLL header.
  if (out.sll && (etherType === ETHERTYPE.VLAN || etherType === ETHERTYPE.QINQ)) {
    if (b.length - p < 4) return { ...out, issue: issue('truncated', '802.1q', 'tag cut short', p) };
    etherType = (b[p + 2] << 8) | b[p + 3];
    p += 4;
  }
  if (etherType === ETHERTYPE.ARP) {
    const arp = decodeArp(b, p);
    return isIssue(arp) ? { ...out, issue: arp } : { ...out, arp };
  }
  if (etherType !== ETHERTYPE.IPV4) {
    return {
      ...out,
      issue: issue('unsupported', 'network', `ethertype 0x${etherType.toString(16).padStart(4, '0')}`, p),
    };
  }
  const ip = decodeIpv4(b, p);
  if (isIssue(ip)) return { ...out, issue: ip };
  out.ipv4 = ip.header;
  // Later fragments carry no transport header.
  if (ip.header.fragmentOffset > 0) return out;
  const q = ip.payload;
  const end = ip.end;
  switch (ip.header.protocol) {
    case IPPROTO.TCP: {
      const t = decodeTcp(b, q, end);
      return isIssue(t) ? { ...out, issue: t } : { ...out, tcp: t };
    }
    case IPPROTO.ICMP: {
      const c = decodeIcmp(b, q, end);
      if (isIssue(c)) return { ...out, issue: c };
      // Errors quote the offending datagram (e.g. port unreachable for UDP 4789 at a peer).
      if (ICMP_ERRORS.has(c.type) && end - q > 28 && depth > 0) {
        const quoted = decodeNetwork(
          { linkType: LINKTYPE.RAW_IPV4 },
          b.subarray(0, end),
          q + 8,
          ETHERTYPE.IPV4,
          vx,
          depth - 1,
        );
        return { ...out, icmp: { ...c, quoted } };
      }
      return { ...out, icmp: c };
    }
    case IPPROTO.UDP: {
      const u = decodeUdp(b, q, end);
      if (isIssue(u)) return { ...out, issue: u };
      out.udp = u;
      if (!vx.has(u.dstPort) || depth <= 0 || ip.header.moreFragments) return out;
      const v = decodeVxlan(b, q + 8, end);
      if (isIssue(v)) return { ...out, issue: v };
      out.vxlan = v;
      // The inner frame ends where the UDP datagram ends.
      const inner = b.subarray(0, end);
      out.inner = decodeAt(LINKTYPE.ETHERNET, inner, q + 16, vx, depth - 1);
      return out;
    }
    default:
      return { ...out, issue: issue('unsupported', 'transport', `IP protocol ${ip.header.protocol}`, q) };
  }
}
