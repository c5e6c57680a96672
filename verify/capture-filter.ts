/** pcap-filter pieces shared by the paths' hop specs. */

/** pcap-filter for VXLAN frames carrying inner TCP to/from `port` (inner IPv4 without options). */
export function vxlanTcpFilter(dataPathPort: number, port: number): string {
  // udp[39]: inner IPv4 protocol (8 UDP + 8 VXLAN + 14 Ethernet + 9); udp[50:2]/udp[52:2]: inner TCP ports.
  return `udp port ${dataPathPort} and udp[39]=6 and (udp[50:2]=${port} or udp[52:2]=${port})`;
}
