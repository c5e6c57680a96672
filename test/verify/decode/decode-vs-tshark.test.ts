/**
 * Every decoded field of the real captures in test/fixtures/pcap (recorded by record.sh with
 * tcpdump/dumpcap on kernel VXLAN, veth and `any` devices) cross-checked against tshark.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DecodedPacket, decodePacket, readCapture } from '../../../verify/decode';
import { haveTshark, tsharkFields } from './tshark';

const DIR = path.join(__dirname, '../../fixtures/pcap');
const FILES = [
  'vxlan-underlay.pcap',
  'vxlan-underlay-be.pcap',
  'vxlan-underlay-nano.pcap',
  'vxlan-underlay-nano.pcapng',
  'vxlan-any-sll.pcap',
  'vxlan-any-sll2.pcap',
  'overlay-multi.pcapng',
  'vlan-arp-icmp.pcap',
  'minilab/centos7-10__host__enp0s5.pcap',
  'minilab/centos7-10__sbox__eth1.pcap',
  'minilab/centos7-10__overlay__vxlan0.pcap',
];

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const b = (x: boolean): string => (x ? '1' : '0');

/** Layers of a packet in tshark's tree order: the packet, a datagram quoted by ICMP, VXLAN's inner frame. */
function layers(p: DecodedPacket): DecodedPacket[] {
  return [p, ...(p.icmp?.quoted ? layers(p.icmp.quoted) : []), ...(p.inner ? layers(p.inner) : [])];
}

/** tshark field -> the same value(s) from our decoder, in tshark's occurrence order. */
const FIELDS: Record<string, (p: DecodedPacket) => Array<string | undefined>> = {
  'eth.src': (p) => layers(p).map((l) => l.eth?.src),
  'eth.dst': (p) => layers(p).map((l) => l.eth?.dst),
  'eth.type': (p) => layers(p).map((l) => l.eth && hex4(l.eth.vlans[0]?.tpid ?? l.eth.etherType)),
  'vlan.id': (p) => layers(p).flatMap((l) => l.eth?.vlans.map((v) => String(v.id)) ?? []),
  'vlan.priority': (p) => layers(p).flatMap((l) => l.eth?.vlans.map((v) => String(v.priority)) ?? []),
  'vlan.etype': (p) => layers(p).map((l) => (l.eth?.vlans.length ? hex4(l.eth.etherType) : undefined)),
  'sll.pkttype': (p) => [p.sll && String(p.sll.packetType)],
  'sll.hatype': (p) => [p.sll && String(p.sll.arphrd)],
  'sll.ifindex': (p) => [p.sll?.ifindex !== undefined ? String(p.sll.ifindex) : undefined],
  'sll.etype': (p) => [p.sll && hex4(p.sll.protocol)],
  'arp.opcode': (p) => [p.arp && String(p.arp.opcode)],
  'arp.src.hw_mac': (p) => [p.arp?.senderMac],
  'arp.src.proto_ipv4': (p) => [p.arp?.senderIp],
  'arp.dst.hw_mac': (p) => [p.arp?.targetMac],
  'arp.dst.proto_ipv4': (p) => [p.arp?.targetIp],
  'ip.src': (p) => layers(p).map((l) => l.ipv4?.src),
  'ip.dst': (p) => layers(p).map((l) => l.ipv4?.dst),
  'ip.hdr_len': (p) => layers(p).map((l) => l.ipv4 && String(l.ipv4.headerLength)),
  'ip.len': (p) => layers(p).map((l) => l.ipv4 && String(l.ipv4.totalLength)),
  'ip.id': (p) => layers(p).map((l) => l.ipv4 && hex4(l.ipv4.id)),
  'ip.ttl': (p) => layers(p).map((l) => l.ipv4 && String(l.ipv4.ttl)),
  'ip.proto': (p) => layers(p).map((l) => l.ipv4 && String(l.ipv4.protocol)),
  'ip.dsfield.dscp': (p) => layers(p).map((l) => l.ipv4 && String(l.ipv4.dscp)),
  'ip.flags.df': (p) => layers(p).map((l) => l.ipv4 && b(l.ipv4.dontFragment)),
  'ip.flags.mf': (p) => layers(p).map((l) => l.ipv4 && b(l.ipv4.moreFragments)),
  'ip.frag_offset': (p) => layers(p).map((l) => l.ipv4 && String(l.ipv4.fragmentOffset / 8)),
  'ip.checksum': (p) => layers(p).map((l) => l.ipv4 && hex4(l.ipv4.checksum)),
  'ip.opt.type': (p) => layers(p).flatMap((l) => l.ipv4?.options.map((o) => String(o.type)) ?? []),
  'udp.srcport': (p) => layers(p).map((l) => l.udp && String(l.udp.srcPort)),
  'udp.dstport': (p) => layers(p).map((l) => l.udp && String(l.udp.dstPort)),
  'udp.length': (p) => layers(p).map((l) => l.udp && String(l.udp.length)),
  'vxlan.flags': (p) => layers(p).map((l) => l.vxlan && hex4(l.vxlan.flags << 8)),
  'vxlan.vni': (p) => layers(p).map((l) => l.vxlan && String(l.vxlan.vni)),
  'tcp.srcport': (p) => layers(p).map((l) => l.tcp && String(l.tcp.srcPort)),
  'tcp.dstport': (p) => layers(p).map((l) => l.tcp && String(l.tcp.dstPort)),
  'tcp.seq_raw': (p) => layers(p).map((l) => l.tcp && String(l.tcp.seq)),
  'tcp.ack_raw': (p) => layers(p).map((l) => l.tcp && String(l.tcp.ack)),
  'tcp.hdr_len': (p) => layers(p).map((l) => l.tcp && String(l.tcp.headerLength)),
  'tcp.flags': (p) => layers(p).map((l) => l.tcp && hex4(l.tcp.flagBits)),
  'tcp.window_size_value': (p) => layers(p).map((l) => l.tcp && String(l.tcp.window)),
  'tcp.checksum': (p) => layers(p).map((l) => l.tcp && hex4(l.tcp.checksum)),
  'tcp.len': (p) => layers(p).map((l) => l.tcp && String(l.tcp.payloadLength)),
  'tcp.options.mss_val': (p) => layers(p).map((l) => l.tcp?.options.mss?.toString()),
  'tcp.options.wscale.shift': (p) => layers(p).map((l) => l.tcp?.options.windowScale?.toString()),
  'tcp.options.timestamp.tsval': (p) => layers(p).map((l) => l.tcp?.options.timestamp?.value.toString()),
  'tcp.options.timestamp.tsecr': (p) => layers(p).map((l) => l.tcp?.options.timestamp?.echo.toString()),
  'tcp.option_kind': (p) => layers(p).flatMap((l) => l.tcp?.options.kinds.map(String) ?? []),
  'icmp.type': (p) => layers(p).map((l) => l.icmp && String(l.icmp.type)),
  'icmp.code': (p) => layers(p).map((l) => l.icmp && String(l.icmp.code)),
  'icmp.checksum': (p) => layers(p).map((l) => l.icmp && hex4(l.icmp.checksum)),
  'icmp.ident': (p) => layers(p).map((l) => l.icmp?.id?.toString()),
  'icmp.seq': (p) => layers(p).map((l) => l.icmp?.seq?.toString()),
};

const run = haveTshark() ? describe : describe.skip;

run('decoders agree with tshark on real captures', () => {
  test.each(FILES)('%s', (name) => {
    const file = path.join(DIR, name);
    const cap = readCapture(fs.readFileSync(file));
    expect(cap.issue).toBeUndefined();
    const ref = tsharkFields(file, [
      'frame.number',
      'frame.time_epoch',
      'frame.len',
      'frame.cap_len',
      'frame.interface_id',
      ...Object.keys(FIELDS),
    ]);
    expect(cap.frames.length).toBe(ref.length);
    expect(cap.frames.length).toBeGreaterThan(5);
    let compared = 0;
    cap.frames.forEach((f, i) => {
      const r = ref[i];
      const where = `${name} frame ${f.number}`;
      expect(`${where} ${r['frame.number'][0]}`).toBe(`${where} ${f.number}`);
      expect(`${where} ${r['frame.time_epoch'][0]}`).toBe(`${where} ${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}`);
      expect(`${where} ${r['frame.len'][0]}/${r['frame.cap_len'][0]}`).toBe(
        `${where} ${f.originalLength}/${f.capturedLength}`,
      );
      if (r['frame.interface_id'])
        expect(`${where} if ${r['frame.interface_id'][0]}`).toBe(`${where} if ${f.interfaceId}`);
      const p = decodePacket(f.linkType, f.data);
      for (const [field, get] of Object.entries(FIELDS)) {
        const mine = get(p).filter((v): v is string => v !== undefined);
        const theirs = r[field] ?? [];
        expect(`${where} ${field}=${mine.join(',')}`).toBe(`${where} ${field}=${theirs.join(',')}`);
        compared += theirs.length;
      }
    });
    expect(compared).toBeGreaterThan(cap.frames.length * 3);
  });
});
