/**
 * Where to capture for one verify round: every point of the documented ingress path
 * (shared/docs/packet-path.md) on every node, each with a tight pcap-filter.
 */
import type { NsKind, Topology } from './model';

export interface CapturePoint {
  readonly node: string;
  readonly ns: NsKind;
  /** Namespace file for `nsenter --net=`; absent for the host namespace. */
  readonly nsPath?: string;
  readonly iface: string;
  /** Container id when ns = task. */
  readonly containerId?: string;
  /** pcap-filter expression. */
  readonly filter: string;
}

export interface PlanProps {
  /** Also capture in ingress_sbox (eth1 gwbridge side, eth0 ingress side). Default true. */
  readonly sbox?: boolean;
  /** Also capture on the overlay bridge (br0). Default false (vxlan0 and the task eth0 bracket it). */
  readonly overlayBridge?: boolean;
  /** Task interface per container id (from discovery); default `eth0`. */
  readonly taskIfaces?: Readonly<Record<string, string>>;
}

/** pcap-filter for VXLAN frames carrying inner TCP to/from `port` (inner IPv4 without options). */
export function vxlanTcpFilter(dataPathPort: number, port: number): string {
  // udp[39]: inner IPv4 protocol (8 UDP + 8 VXLAN + 14 Ethernet + 9); udp[50:2]/udp[52:2]: inner TCP ports.
  return `udp port ${dataPathPort} and udp[39]=6 and (udp[50:2]=${port} or udp[52:2]=${port})`;
}

/** The local file name of a capture: `<node>__<ns>__<iface>[__<container12>].pcap`. */
export function captureFileName(p: Pick<CapturePoint, 'node' | 'ns' | 'iface' | 'containerId'>): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return [p.node, p.ns, p.iface, ...(p.containerId ? [p.containerId.slice(0, 12)] : [])].map(safe).join('__') + '.pcap';
}

export function planCaptures(topo: Topology, props: PlanProps = {}): CapturePoint[] {
  const sbox = props.sbox ?? true;
  const port = topo.service.publishedPort;
  const out: CapturePoint[] = [];
  for (const n of topo.nodes) {
    // Host NIC: the client's TCP to the published port, plus VXLAN between nodes carrying it.
    out.push({
      node: n.name,
      ns: 'host',
      iface: n.nic,
      filter: `(tcp port ${port} and host ${topo.client.ip}) or (${vxlanTcpFilter(topo.ingress.dataPathPort, port)})`,
    });
    if (sbox) {
      out.push({
        node: n.name,
        ns: 'sbox',
        nsPath: n.ns.sbox,
        iface: n.ifaces.sboxGwbridge,
        filter: `tcp port ${port}`,
      });
      out.push({
        node: n.name,
        ns: 'sbox',
        nsPath: n.ns.sbox,
        iface: n.ifaces.sboxIngress,
        filter: `tcp port ${port}`,
      });
    }
    out.push({
      node: n.name,
      ns: 'overlay',
      nsPath: n.ns.overlay,
      iface: n.ifaces.overlayVxlan,
      filter: `tcp port ${port}`,
    });
    if (props.overlayBridge)
      out.push({
        node: n.name,
        ns: 'overlay',
        nsPath: n.ns.overlay,
        iface: n.ifaces.overlayBridge,
        filter: `tcp port ${port}`,
      });
    for (const t of topo.service.tasks.filter((x) => x.node === n.name)) {
      // Inside the task the published port is still the destination (REDIRECT to the target port happens after capture).
      out.push({
        node: n.name,
        ns: 'task',
        nsPath: t.sandboxKey,
        iface: props.taskIfaces?.[t.containerId] ?? 'eth0',
        containerId: t.containerId,
        filter: `tcp port ${port} or tcp port ${topo.service.targetPort}`,
      });
    }
  }
  return out;
}
