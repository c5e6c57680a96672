/**
 * A miniature of Docker's ingress overlay on top of an SshdHarness, for capture tests and the
 * capture-round benchmark. Per host K (its namespace holds eth0 = the "node NIC"):
 *   <prefix>-ovK   overlay namespace: br0 + vxlan0 (VNI 4096, UDP 4789, created in the host
 *                  namespace and moved here, as Docker does), flooding to every other host
 *   <prefix>-tK    task namespace: eth0 10.0.0.(20+K)/24 on br0, a web server on :9090
 *                  answering `Host IP is <host ip>`
 *   <prefix>-sb    (host 1 only) an "ingress_sbox": eth0 10.0.0.2/24 on br0; the client side
 * Traffic from sb to a task on another host crosses vxlan0 -> host eth0 -> peer eth0 -> vxlan0.
 */
import * as path from 'path';
import type { Duplex } from 'stream';
import type { CapturePoint } from '../../verify/capture-plan';
import { vxlanTcpFilter } from '../../verify/capture-plan';
import { nsRun } from './procs';
import { SshdHarness } from './sshd-harness';

export const VNI = 4096;
export const VXLAN_PORT = 4789;
export const TASK_PORT = 9090;

export interface VxlanLabHost {
  readonly name: string;
  readonly ip: string;
  readonly overlayNs: string;
  readonly taskNs: string;
  readonly taskIp: string;
}

export interface VxlanLab {
  readonly hosts: VxlanLabHost[];
  readonly sboxNs: string;
  readonly sboxIp: string;
  /** Dial from inside the sbox namespace (the client side of the requests). */
  readonly dialFromSbox: (
    host: string,
    port: number,
    timeoutMs: number,
  ) => Promise<{ stream: Duplex; localPort?: number }>;
  /** Capture points like verify's plan: host NIC, overlay vxlan0, task eth0 per host, plus sbox eth0. */
  points(): CapturePoint[];
}

export async function buildVxlanLab(h: SshdHarness): Promise<VxlanLab> {
  const hosts: VxlanLabHost[] = [];
  for (const [i, x] of h.hosts.entries()) {
    const k = i + 1;
    const ov = h.addNamespace(`ov${k}`);
    const task = h.addNamespace(`t${k}`);
    nsRun(x.ns, [
      'ip',
      'link',
      'add',
      'vxlan0',
      'type',
      'vxlan',
      'id',
      String(VNI),
      'dstport',
      String(VXLAN_PORT),
      'local',
      x.ip,
      'dev',
      'eth0',
    ]);
    nsRun(x.ns, ['ip', 'link', 'set', 'vxlan0', 'netns', ov]);
    nsRun(ov, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    nsRun(ov, ['ip', 'link', 'set', 'vxlan0', 'master', 'br0']);
    // Flood unknown destinations to every peer (Docker programs exact entries; learning fills them here).
    for (const peer of h.hosts.filter((p) => p !== x)) {
      nsRun(ov, ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan0', 'dst', peer.ip]);
    }
    nsRun(ov, ['ip', 'link', 'add', 'veth-t', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', task]);
    nsRun(ov, ['ip', 'link', 'set', 'veth-t', 'master', 'br0', 'up']);
    nsRun(ov, ['ip', 'link', 'set', 'vxlan0', 'up']);
    nsRun(ov, ['ip', 'link', 'set', 'br0', 'up']);
    const taskIp = `10.0.0.${20 + k}`;
    nsRun(task, ['ip', 'addr', 'add', `${taskIp}/24`, 'dev', 'eth0']);
    nsRun(task, ['ip', 'link', 'set', 'eth0', 'mtu', '1450', 'up']);
    nsRun(task, ['ip', 'link', 'set', 'lo', 'up']);
    await h.spawn(
      task,
      [process.execPath, path.join(__dirname, 'http-server.js'), taskIp, String(TASK_PORT), `Host IP is ${x.ip}`],
      /ready/,
    );
    hosts.push({ name: x.name, ip: x.ip, overlayNs: ov, taskNs: task, taskIp });
  }
  const sb = h.addNamespace('sb');
  const sboxIp = '10.0.0.2';
  nsRun(hosts[0].overlayNs, ['ip', 'link', 'add', 'veth-sb', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', sb]);
  nsRun(hosts[0].overlayNs, ['ip', 'link', 'set', 'veth-sb', 'master', 'br0', 'up']);
  nsRun(sb, ['ip', 'addr', 'add', `${sboxIp}/24`, 'dev', 'eth0']);
  nsRun(sb, ['ip', 'link', 'set', 'eth0', 'mtu', '1450', 'up']);
  nsRun(sb, ['ip', 'link', 'set', 'lo', 'up']);
  const dialFromSbox = await h.dialerIn(sb);
  return {
    hosts,
    sboxNs: sb,
    sboxIp,
    dialFromSbox,
    points(): CapturePoint[] {
      const out: CapturePoint[] = [];
      out.push({
        node: hosts[0].name,
        ns: 'sbox',
        nsPath: `/var/run/netns/${sb}`,
        iface: 'eth0',
        filter: `tcp port ${TASK_PORT}`,
      });
      for (const x of hosts) {
        out.push({ node: x.name, ns: 'host', iface: 'eth0', filter: vxlanTcpFilter(VXLAN_PORT, TASK_PORT) });
        out.push({
          node: x.name,
          ns: 'overlay',
          nsPath: `/var/run/netns/${x.overlayNs}`,
          iface: 'vxlan0',
          filter: `tcp port ${TASK_PORT}`,
        });
        out.push({
          node: x.name,
          ns: 'task',
          nsPath: `/var/run/netns/${x.taskNs}`,
          iface: 'eth0',
          containerId: `task${x.name}`.padEnd(12, '0'),
          filter: `tcp port ${TASK_PORT}`,
        });
      }
      return out;
    },
  };
}
