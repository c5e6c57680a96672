/** Public API of the decoders. */
export * from './types';
export { readCapture } from './pcap';
export type { CaptureData, CaptureInterface, FrameRecord } from './pcap';
export { decodePacket } from './packet';
export type { DecodeProps } from './packet';
export { decodeEthernet, decodeSll, decodeSll2 } from './link';
export { decodeArp } from './arp';
export { decodeIpv4 } from './ipv4';
export { decodeUdp } from './udp';
export { decodeTcp } from './tcp';
export { decodeIcmp } from './icmp';
export { decodeVxlan } from './vxlan';
