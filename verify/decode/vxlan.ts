/** VXLAN header (RFC 7348): flags byte, 24-bit VNI; the inner Ethernet frame follows. */
import { DecodeIssue, VxlanHeader, issue } from './types';

export function decodeVxlan(b: Uint8Array, o: number, end: number): VxlanHeader | DecodeIssue {
  if (end - o < 8) return issue('truncated', 'vxlan', `${end - o} bytes, need 8`, o);
  const flags = b[o];
  return { flags, vniValid: (flags & 0x08) !== 0, vni: (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6] };
}
