/** IPv4 header, options listed, fragments flagged. */
import { ipv4, u16 } from './bytes';
import { DecodeIssue, Ipv4Header, Ipv4Option, issue } from './types';

export interface Ipv4Result {
  readonly header: Ipv4Header;
  readonly payload: number;
  /** End of the datagram within the frame (Ethernet padding excluded). */
  readonly end: number;
}

export function decodeIpv4(b: Uint8Array, o: number): Ipv4Result | DecodeIssue {
  if (b.length - o < 20) return issue('truncated', 'ipv4', `${b.length - o} bytes, need 20`, o);
  const version = b[o] >> 4;
  if (version !== 4) return issue('malformed', 'ipv4', `version ${version}`, o);
  const hl = (b[o] & 0x0f) * 4;
  if (hl < 20) return issue('malformed', 'ipv4', `header length ${hl} < 20`, o);
  if (b.length - o < hl) return issue('truncated', 'ipv4', `${b.length - o} bytes, header needs ${hl}`, o);
  const totalLength = u16(b, o + 2);
  const ff = u16(b, o + 6);
  const options: Ipv4Option[] = [];
  for (let p = o + 20; p < o + hl;) {
    const type = b[p];
    if (type === 0) {
      options.push({ type, length: 1 });
      break;
    } // end of option list
    if (type === 1) {
      options.push({ type, length: 1 });
      p++;
      continue;
    } // no-op
    const len = p + 1 < o + hl ? b[p + 1] : 0;
    if (len < 2 || p + len > o + hl) return issue('malformed', 'ipv4', `option ${type} with length ${len}`, p);
    options.push({ type, length: len });
    p += len;
  }
  const header: Ipv4Header = {
    headerLength: hl,
    dscp: b[o + 1] >> 2,
    ecn: b[o + 1] & 3,
    totalLength,
    id: u16(b, o + 4),
    dontFragment: (ff & 0x4000) !== 0,
    moreFragments: (ff & 0x2000) !== 0,
    fragmentOffset: (ff & 0x1fff) * 8,
    fragment: (ff & 0x2000) !== 0 || (ff & 0x1fff) !== 0,
    ttl: b[o + 8],
    protocol: b[o + 9],
    checksum: u16(b, o + 10),
    src: ipv4(b, o + 12),
    dst: ipv4(b, o + 16),
    options,
  };
  // A zero total length happens with TSO on the sending host; trust the frame then.
  const end = totalLength >= hl ? Math.min(b.length, o + totalLength) : b.length;
  return { header, payload: o + hl, end };
}
