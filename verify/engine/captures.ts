/**
 * Capture files: the naming convention `<node>__<ns>__<iface>[__<container12>].pcap[ng]`
 * and reading a file into TCP observations (VXLAN-carried segments included).
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodePacket, readCapture } from '../decode';
import type { DecodedPacket, FrameRecord } from '../decode';
import type { CaptureFile, NsKind } from '../model';
import type { Observation } from './types';

const NS_KINDS: readonly NsKind[] = ['host', 'sbox', 'overlay', 'task', 'client', 'uoverlay', 'lb'];

/** File name for a capture point (the report keeps pcaps under these names). */
export function captureFileName(c: Pick<CaptureFile, 'node' | 'ns' | 'iface' | 'containerId'>, ext = '.pcap'): string {
  const parts = [c.node, c.ns, c.iface];
  if (c.ns === 'task' && c.containerId) parts.push(c.containerId.slice(0, 12));
  return parts.join('__') + ext;
}

/** Parse a capture file name; undefined when it does not follow the convention. */
export function parseCaptureFileName(file: string): Omit<CaptureFile, 'file'> | undefined {
  const m =
    /^([^_]+(?:_[^_]+)*)__(host|sbox|overlay|task|client|uoverlay|lb)__([^_]+)(?:__([0-9a-f]{12,64}))?\.pcap(?:ng)?$/.exec(
      path.basename(file),
    );
  if (!m || !NS_KINDS.includes(m[2] as NsKind)) return undefined;
  return { node: m[1], ns: m[2] as NsKind, iface: m[3], ...(m[4] ? { containerId: m[4] } : {}) };
}

/** Every capture in a directory that follows the naming convention. */
export function capturesInDir(dir: string): CaptureFile[] {
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const c = parseCaptureFileName(f);
      return c ? [{ ...c, file: path.join(dir, f) }] : [];
    });
}

/** Key of a capture point; task points match on the 12-char container prefix. */
export function pointKey(p: { node: string; ns: NsKind; iface: string; containerId?: string }): string {
  const base = `${p.node}/${p.ns}/${p.iface}`;
  return p.ns === 'task' && p.containerId ? `${base}/${p.containerId.slice(0, 12)}` : base;
}

export interface LoadedCapture {
  readonly capture: CaptureFile;
  readonly key: string;
  readonly frames: number;
  readonly observations: readonly Observation[];
  readonly problem?: string;
}

export function loadCapture(c: CaptureFile, vxlanPorts: ReadonlySet<number>): LoadedCapture {
  const key = pointKey(c);
  if (c.failed) return { capture: c, key, frames: 0, observations: [], problem: c.failed };
  let buf: Buffer;
  try {
    buf = fs.readFileSync(c.file);
  } catch (e) {
    return { capture: c, key, frames: 0, observations: [], problem: `cannot read ${c.file}: ${(e as Error).message}` };
  }
  const cap = readCapture(buf);
  const observations: Observation[] = [];
  for (const f of cap.frames) {
    const o = observe(key, f, decodePacket(f.linkType, f.data, { vxlanPorts }));
    if (o) observations.push(o);
  }
  const problem = cap.issue ? `${cap.issue.layer}: ${cap.issue.detail}` : undefined;
  return { capture: c, key, frames: cap.frames.length, observations, ...(problem ? { problem } : {}) };
}

function observe(point: string, f: FrameRecord, p: DecodedPacket): Observation | undefined {
  const t = p.inner?.tcp ? p.inner : p;
  const tcp = t.tcp;
  const ip = t.ipv4;
  if (!tcp || !ip) return undefined;
  const vx =
    p.inner?.tcp && p.vxlan && p.ipv4 && p.udp
      ? {
          src: p.ipv4.src,
          dst: p.ipv4.dst,
          sport: p.udp.srcPort,
          dport: p.udp.dstPort,
          vni: p.vxlan.vni,
          vniValid: p.vxlan.vniValid,
        }
      : undefined;
  const fl = tcp.flags;
  const flags =
    `${fl.syn ? 'S' : ''}${fl.fin ? 'F' : ''}${fl.rst ? 'R' : ''}${fl.psh ? 'P' : ''}${fl.ack ? '.' : ''}` || 'none';
  const ts = tcp.options.timestamp;
  const time =
    new Date(f.tsSec * 1000).toISOString().slice(11, 19) + '.' + String(f.tsNsec).padStart(9, '0').slice(0, 6);
  const inner =
    `${ip.src}.${tcp.srcPort} > ${ip.dst}.${tcp.dstPort}: Flags [${flags}], seq ${tcp.seq}${fl.ack ? `, ack ${tcp.ack}` : ''}` +
    `${ts ? `, TS val ${ts.value} ecr ${ts.echo}` : ''}, length ${tcp.payloadLength}`;
  const line = vx
    ? `${time} ${vx.src}.${vx.sport} > ${vx.dst}.${vx.dport}: VXLAN vni ${vx.vni} | ${t.eth?.src ?? '?'} > ${t.eth?.dst ?? '?'} ${inner}`
    : `${time} ${inner}`;
  return {
    point,
    frame: f.number,
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    ...(t.eth ? { ethSrc: t.eth.src, ethDst: t.eth.dst } : {}),
    src: ip.src,
    dst: ip.dst,
    sport: tcp.srcPort,
    dport: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    syn: fl.syn,
    ackFlag: fl.ack,
    rst: fl.rst,
    fin: fl.fin,
    ...(ts ? { tsval: ts.value, tsecr: ts.echo } : {}),
    payloadLength: tcp.payloadLength,
    ...(vx ? { vxlan: vx } : {}),
    line,
  };
}

/** Seconds as a float (sub-microsecond precision is not needed for ordering or skew). */
export function obsTime(o: Observation): number {
  return o.tsSec + o.tsNsec / 1e9;
}
