/** ICMP header; echo id/seq when it is an echo. */
import { u16 } from './bytes';
import { DecodeIssue, IcmpHeader, issue } from './types';

export function decodeIcmp(b: Uint8Array, o: number, end: number): IcmpHeader | DecodeIssue {
  if (end - o < 4) return issue('truncated', 'icmp', `${end - o} bytes, need 4`, o);
  const type = b[o];
  const echo = (type === 0 || type === 8) && end - o >= 8;
  return {
    type,
    code: b[o + 1],
    checksum: u16(b, o + 2),
    ...(echo ? { id: u16(b, o + 4), seq: u16(b, o + 6) } : {}),
  };
}
