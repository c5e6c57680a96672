/**
 * TEST-ONLY pcap/pcapng writer and frame rewriter. Tests use it to alter real captures
 * (drop one hop's packets, change a VNI, shift a node's clock) and to build the few block
 * kinds no tool here writes (Simple Packet Blocks, big-endian pcapng). Not product code.
 */
import * as fs from 'fs';
import { DecodedPacket, FrameRecord, decodePacket, readCapture } from '../../verify/decode';

export interface OutFrame {
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly data: Uint8Array;
  readonly originalLength?: number;
}

export function writePcap(
  file: string,
  frames: readonly OutFrame[],
  o: { linkType?: number; nano?: boolean; bigEndian?: boolean } = {},
): void {
  const le = !o.bigEndian;
  const head = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, at: number) => (le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  const w16 = (b: Buffer, v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  w32(head, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(head, 2, 4);
  w16(head, 4, 6);
  w32(head, 262144, 16);
  w32(head, o.linkType ?? 1, 20);
  const parts: Buffer[] = [head];
  for (const f of frames) {
    const h = Buffer.alloc(16);
    w32(h, f.tsSec, 0);
    w32(h, o.nano ? f.tsNsec : Math.floor(f.tsNsec / 1000), 4);
    w32(h, f.data.length, 8);
    w32(h, f.originalLength ?? f.data.length, 12);
    parts.push(h, Buffer.from(f.data));
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** pcapng with one section; `simple` writes Simple Packet Blocks (no timestamps, interface 0). */
export function writePcapng(
  file: string,
  ifaces: ReadonlyArray<{ linkType: number; tsresol?: number; name?: string }>,
  packets: ReadonlyArray<OutFrame & { iface?: number }>,
  o: { bigEndian?: boolean; simple?: boolean } = {},
): void {
  const le = !o.bigEndian;
  const block = (type: number, body: Buffer): Buffer => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const len = padded.length + 12;
    const b = Buffer.alloc(len);
    const w = (v: number, at: number) => (le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
    w(type, 0);
    w(len, 4);
    padded.copy(b, 8);
    w(len, len - 4);
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const option = (code: number, val: Buffer) =>
    Buffer.concat([u16(code), u16(val.length), val, Buffer.alloc((4 - (val.length % 4)) % 4)]);
  const shb = Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]);
  const out: Buffer[] = [block(0x0a0d0d0a, shb)];
  for (const i of ifaces) {
    const opts: Buffer[] = [];
    if (i.name) opts.push(option(2, Buffer.from(i.name)));
    if (i.tsresol !== undefined) opts.push(option(9, Buffer.from([i.tsresol])));
    if (opts.length) opts.push(Buffer.alloc(4));
    out.push(block(1, Buffer.concat([u16(i.linkType), u16(0), u32(262144), ...opts])));
  }
  for (const p of packets) {
    const data = Buffer.from(p.data);
    if (o.simple) {
      out.push(block(3, Buffer.concat([u32(p.originalLength ?? data.length), data])));
      continue;
    }
    const r = ifaces[p.iface ?? 0].tsresol ?? 6;
    const perSec = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
    const units = BigInt(p.tsSec) * perSec + (BigInt(p.tsNsec) * perSec) / 1000000000n;
    out.push(
      block(
        6,
        Buffer.concat([
          u32(p.iface ?? 0),
          u32(Number(units >> 32n)),
          u32(Number(units & 0xffffffffn)),
          u32(data.length),
          u32(p.originalLength ?? data.length),
          data,
        ]),
      ),
    );
  }
  fs.writeFileSync(file, Buffer.concat(out));
}

/** The layer that carries TCP (VXLAN's inner frame when encapsulated). */
export function tcpLayer(p: DecodedPacket): DecodedPacket {
  return p.inner?.tcp ? p.inner : p;
}

/**
 * Rewrite a capture frame by frame: the callback returns the frame (possibly altered), a list
 * of frames (to add copies) or null (to drop it). Writes classic pcap (nanosecond).
 */
export function rewriteCapture(
  src: string,
  dst: string,
  fn: (f: FrameRecord, p: DecodedPacket) => OutFrame | OutFrame[] | null,
): void {
  const cap = readCapture(fs.readFileSync(src));
  const frames: OutFrame[] = [];
  for (const f of cap.frames) {
    const r = fn(f, decodePacket(f.linkType, f.data));
    if (r === null) continue;
    frames.push(...(Array.isArray(r) ? r : [r]));
  }
  writePcap(dst, frames, { nano: true, linkType: cap.interfaces[0]?.linkType ?? 1 });
}

/** Offset of the VXLAN header in an Ethernet/IPv4/UDP frame. */
export function vxlanOffset(data: Uint8Array): number {
  const ihl = (data[14] & 0x0f) * 4;
  return 14 + ihl + 8;
}
