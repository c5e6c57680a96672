/**
 * Short, damaged and unknown input comes back as a typed issue (never an exception), and the
 * pcapng block kinds no tool here writes (Simple Packet Blocks, big-endian sections,
 * power-of-two tsresol) read correctly; the files built here are cross-checked with tshark.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LINKTYPE, decodePacket, isIssue, readCapture } from '../../../verify/decode';
import { decodeTcp } from '../../../verify/decode';
import { writePcapng } from '../pcap-writer';
import { haveTshark, tsharkFields } from './tshark';
import { tmpDir } from '../engine/minilab';

const DIR = path.join(__dirname, '../../fixtures/pcap');
const real = readCapture(fs.readFileSync(path.join(DIR, 'vxlan-underlay.pcap')));
const vxFrame = real.frames.find((f) => decodePacket(f.linkType, f.data).inner?.tcp)?.data as Uint8Array;
let tmp: string;
beforeAll(() => {
  tmp = tmpDir('decode');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every truncation of a real VXLAN frame decodes to layers plus a typed issue, never a throw', () => {
  expect(vxFrame).toBeDefined();
  const seen = new Set<string>();
  for (let n = 0; n < vxFrame.length; n++) {
    const p = decodePacket(LINKTYPE.ETHERNET, vxFrame.subarray(0, n));
    // Issues inside VXLAN sit on the inner frame, the outer layers stay decoded.
    const i = p.issue ?? p.inner?.issue;
    if (i) {
      expect(isIssue(i)).toBe(true);
      seen.add(`${i.kind}:${i.layer}${p.inner ? ' (inner)' : ''}`);
    }
  }
  // Cutting at each layer boundary is reported at that layer.
  expect([...seen]).toEqual(
    expect.arrayContaining([
      'truncated:ethernet',
      'truncated:ipv4',
      'truncated:udp',
      'truncated:vxlan',
      'truncated:ethernet (inner)',
      'truncated:ipv4 (inner)',
      'truncated:tcp (inner)',
    ]),
  );
  const full = decodePacket(LINKTYPE.ETHERNET, vxFrame);
  expect(full.issue).toBeUndefined();
  expect(full.vxlan?.vni).toBe(4096);
});

test('random bytes never throw', () => {
  let x = 12345;
  const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from({ length: rnd() % 120 }, rnd);
    for (const lt of [1, 113, 276, 228, 999]) expect(() => decodePacket(lt, b)).not.toThrow();
    expect(() => readCapture(b)).not.toThrow();
  }
});

test('unknown link types, ethertypes and protocols are named', () => {
  expect(decodePacket(147, vxFrame).issue).toMatchObject({
    kind: 'unsupported',
    layer: 'link',
    detail: 'link type 147',
  });
  const v6 = Buffer.from(vxFrame);
  v6[12] = 0x86;
  v6[13] = 0xdd;
  expect(decodePacket(1, v6).issue).toMatchObject({ kind: 'unsupported', detail: 'ethertype 0x86dd' });
  const gre = Buffer.from(vxFrame);
  gre[23] = 47;
  expect(decodePacket(1, gre).issue).toMatchObject({
    kind: 'unsupported',
    layer: 'transport',
    detail: 'IP protocol 47',
  });
  const badTcpOpt = Buffer.alloc(24);
  badTcpOpt[12] = 0x60;
  badTcpOpt[20] = 8;
  badTcpOpt[21] = 40;
  expect(decodeTcp(badTcpOpt, 0, 24)).toMatchObject({ kind: 'malformed', layer: 'tcp' });
});

test('TCP options: MSS, SACK-permitted, window scale, timestamps and SACK blocks', () => {
  // 20-byte header + options: MSS 1460, SACK-permitted, TS 7/9, NOP, wscale 7, NOP, NOP, SACK 2 blocks.
  const opts = [
    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 1, 3, 3, 7, 1, 1, 5, 18, 0, 0, 0, 100, 0, 0, 0, 200, 0xff,
    0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xff,
  ];
  const h = Buffer.alloc(20 + opts.length);
  h[12] = ((20 + opts.length) / 4) << 4;
  h[13] = 0x10;
  Buffer.from(opts).copy(h, 20);
  const t = decodeTcp(h, 0, h.length);
  expect(isIssue(t)).toBe(false);
  expect(t).toMatchObject({
    headerLength: 60,
    options: {
      mss: 1460,
      sackPermitted: true,
      windowScale: 7,
      timestamp: { value: 7, echo: 9 },
      sack: [
        [100, 200],
        [0xfffffff0, 0xffffffff],
      ],
      kinds: [2, 4, 8, 1, 3, 1, 1, 5],
    },
  });
});

test('files: garbage magic, cut file header, cut record keep the frames read so far', () => {
  expect(readCapture(Buffer.from('hello world, not a pcap')).issue).toMatchObject({
    kind: 'unsupported',
    layer: 'file',
  });
  const buf = fs.readFileSync(path.join(DIR, 'vxlan-underlay.pcap'));
  expect(readCapture(buf.subarray(0, 10)).issue).toMatchObject({ kind: 'truncated', layer: 'pcap' });
  const cut = readCapture(buf.subarray(0, buf.length - 7));
  expect(cut.frames).toHaveLength(real.frames.length - 1);
  expect(cut.issue).toMatchObject({ kind: 'truncated', layer: 'pcap' });
  const ng = fs.readFileSync(path.join(DIR, 'overlay-multi.pcapng'));
  const ngCut = readCapture(ng.subarray(0, ng.length - 5));
  expect(ngCut.issue).toMatchObject({ kind: 'truncated', layer: 'pcapng' });
  // dumpcap ends the file with a statistics block, so the cut may not hit a packet.
  expect(ngCut.frames.length).toBeGreaterThanOrEqual(readCapture(ng).frames.length - 1);
});

test('real multi-interface pcapng: both interfaces, their names and link types', () => {
  const c = readCapture(fs.readFileSync(path.join(DIR, 'overlay-multi.pcapng')));
  expect(c.interfaces.map((i) => i.name)).toEqual(['vxlan0', 'br0']);
  expect(new Set(c.frames.map((f) => f.interfaceId))).toEqual(new Set([0, 1]));
});

const frames = real.frames.slice(0, 6).map((f) => ({ tsSec: f.tsSec, tsNsec: f.tsNsec, data: f.data }));

test.each([
  ['little-endian, tsresol 10^-9', {}, 9],
  ['big-endian, tsresol 10^-6', { bigEndian: true }, 6],
  ['little-endian, tsresol 2^-20', {}, 0x80 | 20],
] as const)('pcapng %s: timestamps and packets as written', (_n, o, tsresol) => {
  const file = path.join(tmp, `t-${tsresol}-${'bigEndian' in o}.pcapng`);
  writePcapng(file, [{ linkType: 1, tsresol, name: 'enp0s5' }], frames, o);
  const c = readCapture(fs.readFileSync(file));
  expect(c.issue).toBeUndefined();
  expect(c.littleEndian).toBe(!('bigEndian' in o));
  expect(c.interfaces[0].name).toBe('enp0s5');
  expect(c.frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(
    frames.map((f) => Buffer.from(f.data).toString('hex')),
  );
  const tol = tsresol === 6 ? 1000 : tsresol === 9 ? 0 : 1000;
  c.frames.forEach((f, i) => {
    expect(f.tsSec).toBe(frames[i].tsSec);
    expect(Math.abs(f.tsNsec - frames[i].tsNsec)).toBeLessThanOrEqual(tol);
  });
  if (haveTshark()) {
    const ref = tsharkFields(file, ['frame.time_epoch', 'vxlan.vni']);
    c.frames.forEach((f, i) => {
      const [s, frac] = ref[i]['frame.time_epoch'][0].split('.');
      expect(Number(s)).toBe(f.tsSec);
      expect(Math.abs(Number(frac.padEnd(9, '0')) - f.tsNsec)).toBeLessThanOrEqual(1);
    });
  }
});

test('pcapng Simple Packet Blocks: interface 0, no timestamp, packets intact', () => {
  const file = path.join(tmp, 'spb.pcapng');
  writePcapng(file, [{ linkType: 1 }], frames, { simple: true });
  const c = readCapture(fs.readFileSync(file));
  expect(c.issue).toBeUndefined();
  expect(c.frames).toHaveLength(frames.length);
  expect(c.frames.every((f) => f.interfaceId === 0 && f.tsSec === 0)).toBe(true);
  expect(c.frames.map((f) => decodePacket(f.linkType, f.data).ipv4?.src)).toEqual(
    frames.map((f) => decodePacket(1, f.data).ipv4?.src),
  );
  expect(c.frames.some((f) => decodePacket(f.linkType, f.data).vxlan?.vni === 4096)).toBe(true);
  if (haveTshark()) {
    const ref = tsharkFields(file, ['frame.len', 'ip.src']);
    c.frames.forEach((f, i) => {
      expect(ref[i]['frame.len'][0]).toBe(String(f.originalLength));
      expect(ref[i]['ip.src']?.[0]).toBe(decodePacket(1, f.data).ipv4?.src);
    });
  }
});
