/** ARP for IPv4 over Ethernet (the only kind on the lab's links). */
import { ipv4, mac, u16 } from './bytes';
import { ArpPacket, DecodeIssue, issue } from './types';

export function decodeArp(b: Uint8Array, o: number): ArpPacket | DecodeIssue {
  if (b.length - o < 8) return issue('truncated', 'arp', `${b.length - o} bytes, need 8`, o);
  const hlen = b[o + 4];
  const plen = b[o + 5];
  if (hlen !== 6 || plen !== 4)
    return issue('unsupported', 'arp', `hardware length ${hlen}, protocol length ${plen}; only Ethernet/IPv4`, o);
  if (b.length - o < 28) return issue('truncated', 'arp', `${b.length - o} bytes, need 28`, o);
  return {
    hardwareType: u16(b, o),
    protocolType: u16(b, o + 2),
    opcode: u16(b, o + 6),
    senderMac: mac(b, o + 8),
    senderIp: ipv4(b, o + 14),
    targetMac: mac(b, o + 18),
    targetIp: ipv4(b, o + 24),
  };
}
