/**
 * Test helper: the TCP SYNs in a pcap, with the VXLAN outer headers when the SYN travels
 * encapsulated. Decoded by the verify engine's own decoders (verify/decode).
 */
import * as fs from 'fs';
import { decodePacket, DecodedPacket, readCapture } from '../../../verify/decode';

export interface SynSighting {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly vni?: number;
  readonly outerSrc?: string;
  readonly outerDst?: string;
  readonly outerDstPort?: number;
}

export function decodeSyns(file: string): SynSighting[] {
  const cap = readCapture(fs.readFileSync(file));
  if (cap.issue) throw new Error(`${file}: ${cap.issue.layer}: ${cap.issue.detail}`);
  const out: SynSighting[] = [];
  for (const f of cap.frames) {
    const p = decodePacket(f.linkType, f.data);
    const inner: DecodedPacket = p.vxlan && p.inner ? p.inner : p;
    const t = inner.tcp;
    if (!t || !inner.ipv4 || !t.flags.syn || t.flags.ack) continue;
    out.push({
      src: inner.ipv4.src,
      dst: inner.ipv4.dst,
      srcPort: t.srcPort,
      dstPort: t.dstPort,
      seq: t.seq,
      ...(p.vxlan
        ? { vni: p.vxlan.vni, outerSrc: p.ipv4!.src, outerDst: p.ipv4!.dst, outerDstPort: p.udp!.dstPort }
        : {}),
    });
  }
  return out;
}
