/** TCP header with the options the correlation needs (timestamps, MSS, SACK, window scale). */
import { u16, u32 } from './bytes';
import { DecodeIssue, TcpHeader, TcpOptions, issue } from './types';

export function decodeTcp(b: Uint8Array, o: number, end: number): TcpHeader | DecodeIssue {
  if (end - o < 20) return issue('truncated', 'tcp', `${end - o} bytes, need 20`, o);
  const hl = (b[o + 12] >> 4) * 4;
  if (hl < 20) return issue('malformed', 'tcp', `header length ${hl} < 20`, o);
  if (end - o < hl) return issue('truncated', 'tcp', `${end - o} bytes, header needs ${hl}`, o);
  const options = decodeOptions(b, o + 20, o + hl);
  if ('layer' in options) return options;
  const bits = ((b[o + 12] & 1) << 8) | b[o + 13];
  return {
    srcPort: u16(b, o),
    dstPort: u16(b, o + 2),
    seq: u32(b, o + 4),
    ack: u32(b, o + 8),
    headerLength: hl,
    flagBits: bits,
    flags: {
      fin: (bits & 0x01) !== 0,
      syn: (bits & 0x02) !== 0,
      rst: (bits & 0x04) !== 0,
      psh: (bits & 0x08) !== 0,
      ack: (bits & 0x10) !== 0,
      urg: (bits & 0x20) !== 0,
      ece: (bits & 0x40) !== 0,
      cwr: (bits & 0x80) !== 0,
    },
    window: u16(b, o + 14),
    checksum: u16(b, o + 16),
    urgentPointer: u16(b, o + 18),
    options,
    payloadLength: end - o - hl,
  };
}

function decodeOptions(b: Uint8Array, p: number, end: number): TcpOptions | DecodeIssue {
  const kinds: number[] = [];
  const out: { -readonly [K in keyof TcpOptions]: TcpOptions[K] } = { kinds };
  while (p < end) {
    const kind = b[p];
    kinds.push(kind);
    if (kind === 0) break;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return issue('malformed', 'tcp', `option ${kind} without length`, p);
    const len = b[p + 1];
    if (len < 2 || p + len > end) return issue('malformed', 'tcp', `option ${kind} with length ${len}`, p);
    if (kind === 2 && len === 4) out.mss = u16(b, p + 2);
    else if (kind === 3 && len === 3) out.windowScale = b[p + 2];
    else if (kind === 4 && len === 2) out.sackPermitted = true;
    else if (kind === 5 && (len - 2) % 8 === 0) {
      const blocks: Array<readonly [number, number]> = [];
      for (let q = p + 2; q < p + len; q += 8) blocks.push([u32(b, q), u32(b, q + 4)]);
      out.sack = blocks;
    } else if (kind === 8 && len === 10) out.timestamp = { value: u32(b, p + 2), echo: u32(b, p + 6) };
    p += len;
  }
  return out;
}
