/** Link layer: Ethernet II with 802.1Q/802.1ad tags, Linux cooked capture v1 and v2. */
import { hexBytes, mac, u16, u32 } from './bytes';
import { DecodeIssue, ETHERTYPE, EthernetHeader, SllHeader, VlanTag, issue } from './types';

export interface LinkResult<H> {
  readonly header: H;
  /** Offset of the network-layer payload. */
  readonly payload: number;
}

export function decodeEthernet(b: Uint8Array, o = 0): LinkResult<EthernetHeader> | DecodeIssue {
  if (b.length - o < 14) return issue('truncated', 'ethernet', `${b.length - o} bytes, need 14`, o);
  let type = u16(b, o + 12);
  let p = o + 14;
  const vlans: VlanTag[] = [];
  while (type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ) {
    if (b.length - p < 4) return issue('truncated', '802.1q', `${b.length - p} bytes of tag, need 4`, p);
    const tci = u16(b, p);
    vlans.push({ tpid: type, priority: tci >> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff });
    type = u16(b, p + 2);
    p += 4;
  }
  return { header: { dst: mac(b, o), src: mac(b, o + 6), etherType: type, vlans }, payload: p };
}

/** SLL (linktype 113): 16-byte header. */
export function decodeSll(b: Uint8Array, o = 0): LinkResult<SllHeader> | DecodeIssue {
  if (b.length - o < 16) return issue('truncated', 'sll', `${b.length - o} bytes, need 16`, o);
  const addrLen = Math.min(u16(b, o + 4), 8);
  return {
    header: {
      version: 1,
      packetType: u16(b, o),
      arphrd: u16(b, o + 2),
      address: hexBytes(b, o + 6, addrLen),
      protocol: u16(b, o + 14),
    },
    payload: o + 16,
  };
}

/** SLL2 (linktype 276): 20-byte header with the interface index. */
export function decodeSll2(b: Uint8Array, o = 0): LinkResult<SllHeader> | DecodeIssue {
  if (b.length - o < 20) return issue('truncated', 'sll2', `${b.length - o} bytes, need 20`, o);
  const addrLen = Math.min(b[o + 11], 8);
  return {
    header: {
      version: 2,
      protocol: u16(b, o),
      ifindex: u32(b, o + 4),
      arphrd: u16(b, o + 8),
      packetType: b[o + 10],
      address: hexBytes(b, o + 12, addrLen),
    },
    payload: o + 20,
  };
}
