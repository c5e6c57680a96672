/** UDP header. */
import { u16 } from './bytes';
import { DecodeIssue, UdpHeader, issue } from './types';

export function decodeUdp(b: Uint8Array, o: number, end: number): UdpHeader | DecodeIssue {
  if (end - o < 8) return issue('truncated', 'udp', `${end - o} bytes, need 8`, o);
  return { srcPort: u16(b, o), dstPort: u16(b, o + 2), length: u16(b, o + 4), checksum: u16(b, o + 6) };
}
