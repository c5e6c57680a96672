/**
 * Capture file readers: classic pcap (either byte order, micro- or nanosecond) and pcapng
 * (SHB, IDB, EPB, SPB, several interfaces and sections, if_tsresol). Frames come back as
 * views into the file buffer; a damaged tail comes back as `issue` with the frames before it.
 */
import { DecodeIssue, issue } from './types';

export interface CaptureInterface {
  readonly linkType: number;
  readonly snapLen: number;
  /** Interface name from the pcapng `if_name` option. */
  readonly name?: string;
}

export interface FrameRecord {
  /** 1-based, like tshark's frame.number. */
  readonly number: number;
  readonly interfaceId: number;
  readonly linkType: number;
  /** Seconds since the epoch and the nanoseconds within it. */
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
}

export interface CaptureData {
  readonly format: 'pcap' | 'pcapng';
  readonly littleEndian: boolean;
  readonly interfaces: readonly CaptureInterface[];
  readonly frames: readonly FrameRecord[];
  /** Set when the file could not be read to the end (or at all). */
  readonly issue?: DecodeIssue;
}

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;

export function readCapture(buf: Uint8Array): CaptureData {
  if (buf.length < 4) {
    return {
      format: 'pcap',
      littleEndian: true,
      interfaces: [],
      frames: [],
      issue: issue('truncated', 'file', `${buf.length} bytes`, 0),
    };
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  if (le === PCAPNG_SHB) return readPcapng(buf, dv);
  if (le === PCAP_US || le === PCAP_NS) return readPcap(buf, dv, true, le === PCAP_NS);
  if (be === PCAP_US || be === PCAP_NS) return readPcap(buf, dv, false, be === PCAP_NS);
  return {
    format: 'pcap',
    littleEndian: true,
    interfaces: [],
    frames: [],
    issue: issue('unsupported', 'file', `magic 0x${be.toString(16).padStart(8, '0')} is neither pcap nor pcapng`, 0),
  };
}

function readPcap(buf: Uint8Array, dv: DataView, le: boolean, nano: boolean): CaptureData {
  const frames: FrameRecord[] = [];
  const base = { format: 'pcap' as const, littleEndian: le };
  if (buf.length < 24)
    return { ...base, interfaces: [], frames, issue: issue('truncated', 'pcap', 'file header cut short', 0) };
  const snapLen = dv.getUint32(16, le);
  // The upper bits of the link type field carry FCS info; the type is the low 16 bits.
  const linkType = dv.getUint32(20, le) & 0xffff;
  const interfaces = [{ linkType, snapLen }];
  let o = 24;
  while (o < buf.length) {
    if (buf.length - o < 16)
      return { ...base, interfaces, frames, issue: issue('truncated', 'pcap', `record header at ${o} cut short`, o) };
    const sec = dv.getUint32(o, le);
    const frac = dv.getUint32(o + 4, le);
    const incl = dv.getUint32(o + 8, le);
    const orig = dv.getUint32(o + 12, le);
    if (buf.length - o - 16 < incl) {
      return {
        ...base,
        interfaces,
        frames,
        issue: issue(
          'truncated',
          'pcap',
          `frame ${frames.length + 1}: ${incl} bytes announced, ${buf.length - o - 16} left`,
          o,
        ),
      };
    }
    frames.push({
      number: frames.length + 1,
      interfaceId: 0,
      linkType,
      tsSec: sec,
      tsNsec: nano ? frac : frac * 1000,
      capturedLength: incl,
      originalLength: orig,
      data: buf.subarray(o + 16, o + 16 + incl),
    });
    o += 16 + incl;
  }
  return { ...base, interfaces, frames };
}

interface NgIface extends CaptureInterface {
  /** Timestamp units per second, as a BigInt (10^n or 2^n). */
  readonly unitsPerSec: bigint;
}

function readPcapng(buf: Uint8Array, dv: DataView): CaptureData {
  const frames: FrameRecord[] = [];
  const all: CaptureInterface[] = [];
  let ifaces: NgIface[] = [];
  let le = true;
  let o = 0;
  const done = (i?: DecodeIssue): CaptureData => ({
    format: 'pcapng',
    littleEndian: le,
    interfaces: all,
    frames,
    ...(i ? { issue: i } : {}),
  });
  while (o < buf.length) {
    if (buf.length - o < 12) return done(issue('truncated', 'pcapng', `block header at ${o} cut short`, o));
    let type = dv.getUint32(o, le);
    if (type === PCAPNG_SHB) {
      // Byte order is per section; the BOM follows the block length.
      if (buf.length - o < 28) return done(issue('truncated', 'pcapng', 'section header cut short', o));
      const bom = dv.getUint32(o + 8, true);
      if (bom === BOM) le = true;
      else if (dv.getUint32(o + 8, false) === BOM) le = false;
      else return done(issue('malformed', 'pcapng', `bad byte-order magic in section header at ${o}`, o));
      type = PCAPNG_SHB;
      ifaces = [];
    }
    const len = dv.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0) return done(issue('malformed', 'pcapng', `block at ${o} has length ${len}`, o));
    if (buf.length - o < len)
      return done(issue('truncated', 'pcapng', `block at ${o} announces ${len} bytes, ${buf.length - o} left`, o));
    const body = o + 8;
    const bodyEnd = o + len - 4;
    if (type === 1) {
      if (bodyEnd - body < 8) return done(issue('malformed', 'pcapng', `interface block at ${o} too short`, o));
      const linkType = dv.getUint16(body, le);
      const snapLen = dv.getUint32(body + 4, le);
      let unitsPerSec = 1000000n;
      let name: string | undefined;
      for (const opt of options(dv, body + 8, bodyEnd, le)) {
        if (opt.code === 9 && opt.len >= 1) {
          const v = buf[opt.at];
          unitsPerSec = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
        } else if (opt.code === 2) {
          name = Buffer.from(buf.subarray(opt.at, opt.at + opt.len))
            .toString('utf8')
            .replace(/\0+$/, '');
        }
      }
      const iface: NgIface = { linkType, snapLen, unitsPerSec, ...(name !== undefined ? { name } : {}) };
      ifaces.push(iface);
      all.push({ linkType, snapLen, ...(name !== undefined ? { name } : {}) });
    } else if (type === 6 || type === 2) {
      // EPB (6) and the obsolete Packet Block (2) share the layout up to the data
      // (PB has a 16-bit interface id and a 16-bit drop count).
      if (bodyEnd - body < 20) return done(issue('malformed', 'pcapng', `packet block at ${o} too short`, o));
      const id = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
      const iface = ifaces[id];
      if (!iface)
        return done(
          issue('malformed', 'pcapng', `packet block at ${o} names interface ${id}, only ${ifaces.length} defined`, o),
        );
      const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
      const cap = dv.getUint32(body + 12, le);
      const orig = dv.getUint32(body + 16, le);
      if (body + 20 + cap > bodyEnd)
        return done(issue('malformed', 'pcapng', `packet block at ${o}: captured length ${cap} overruns the block`, o));
      const sec = ts / iface.unitsPerSec;
      const nsec = ((ts % iface.unitsPerSec) * 1000000000n) / iface.unitsPerSec;
      frames.push({
        number: frames.length + 1,
        interfaceId: id,
        linkType: iface.linkType,
        tsSec: Number(sec),
        tsNsec: Number(nsec),
        capturedLength: cap,
        originalLength: orig,
        data: buf.subarray(body + 20, body + 20 + cap),
      });
    } else if (type === 3) {
      // Simple Packet Block: interface 0, no timestamp, captured length bounded by block and snaplen.
      const iface = ifaces[0];
      if (!iface) return done(issue('malformed', 'pcapng', `simple packet block at ${o} before any interface`, o));
      const orig = dv.getUint32(body, le);
      let cap = Math.min(orig, bodyEnd - body - 4);
      if (iface.snapLen > 0) cap = Math.min(cap, iface.snapLen);
      frames.push({
        number: frames.length + 1,
        interfaceId: 0,
        linkType: iface.linkType,
        tsSec: 0,
        tsNsec: 0,
        capturedLength: cap,
        originalLength: orig,
        data: buf.subarray(body + 4, body + 4 + cap),
      });
    }
    // Other blocks (name resolution, statistics, custom) carry nothing the engine reads.
    o += len;
  }
  return done();
}

function* options(
  dv: DataView,
  p: number,
  end: number,
  le: boolean,
): Generator<{ code: number; len: number; at: number }> {
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const len = dv.getUint16(p + 2, le);
    if (code === 0) return;
    if (p + 4 + len > end) return;
    yield { code, len, at: p + 4 };
    p += 4 + ((len + 3) & ~3);
  }
}
