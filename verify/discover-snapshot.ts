/**
 * State snapshots per node and namespace (iptables, IPVS, fdb, vxlan details) as raw text
 * for the engine's state checks. IPVS falls back to /proc/net/ip_vs when ipvsadm is missing.
 */
import { inNs } from './discover';
import type { NodeSnapshot, Topology } from './model';
import { shQuote, SshPool } from './ssh';

export interface SnapshotProps {
  readonly log?: (node: string, step: string, detail: string) => void;
}

export async function snapshotNode(
  pool: SshPool,
  topo: Topology,
  node: string,
  props: SnapshotProps = {},
): Promise<NodeSnapshot> {
  const n = topo.nodes.find((x) => x.name === node);
  if (!n) throw new Error(`snapshot: node ${node} is not in the topology`);
  const t0 = Date.now();
  const x = (cmd: string): Promise<string> => pool.exec(node, cmd).then((r) => r.stdout);
  // ipvsadm is optional: probe it once; /proc/net/ip_vs is read either way (per netns file).
  const hasIpvsadm =
    (await pool.exec(node, 'PATH="$PATH:/usr/sbin:/sbin"; command -v ipvsadm', { check: false })).code === 0;
  const tasks = topo.service.tasks.filter((t) => t.node === node);
  // Diagnosis inputs added later than the rest: best effort, absent when the command fails.
  const opt = (cmd: string): Promise<string | undefined> =>
    pool.exec(node, cmd, { check: false }).then(
      (r) => (r.code === 0 ? r.stdout : undefined),
      () => undefined,
    );
  const [hostIpt, sboxIpt, ipvsadm, procIpvs, addr, fdb, vxlanLink, taskIpt, sysctls, ipvsStats, neigh] =
    await Promise.all([
      x('iptables-save'),
      x(inNs(n.ns.sbox, 'iptables-save')),
      hasIpvsadm ? x(inNs(n.ns.sbox, 'ipvsadm -Ln')) : Promise.resolve(''),
      pool
        .exec(node, inNs(n.ns.sbox, 'cat /proc/net/ip_vs'), { check: false })
        .then((r) => (r.code === 0 ? r.stdout : '')),
      x(inNs(n.ns.sbox, 'ip -o addr show')),
      x(inNs(n.ns.overlay, `bridge fdb show dev ${shQuote(n.ifaces.overlayVxlan)}`)),
      x(inNs(n.ns.overlay, `ip -d link show ${shQuote(n.ifaces.overlayVxlan)}`)),
      Promise.all(
        tasks.map(async (t) => {
          const [iptablesSave, status, top] = await Promise.all([
            x(inNs(t.sandboxKey, 'iptables-save')),
            opt(`docker inspect --format '{{.State.Status}}' ${shQuote(t.containerId)}`),
            opt(`docker top ${shQuote(t.containerId)} -o pid,stat,comm`),
          ]);
          return [
            t.containerId,
            {
              iptablesSave,
              ...(status !== undefined ? { status: status.trim() } : {}),
              ...(top !== undefined ? { top } : {}),
            },
          ] as const;
        }),
      ),
      opt('sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables'),
      hasIpvsadm ? opt(inNs(n.ns.sbox, 'ipvsadm -Ln --stats')) : Promise.resolve(undefined),
      opt(inNs(n.ns.sbox, 'ip neigh show')),
    ]);
  if (!hasIpvsadm)
    props.log?.(node, 'snapshot', 'ipvsadm not installed: using /proc/net/ip_vs (install ipvsadm for names)');
  props.log?.(node, 'snapshot', `iptables/ipvs/fdb/${tasks.length} task ns (${Date.now() - t0} ms)`);
  return {
    node,
    host: { iptablesSave: hostIpt, ...(sysctls !== undefined ? { sysctls } : {}) },
    sbox: {
      iptablesSave: sboxIpt,
      ipvsadm,
      procIpvs,
      addr,
      ...(ipvsStats !== undefined ? { ipvsStats } : {}),
      ...(neigh !== undefined ? { neigh } : {}),
    },
    overlay: { fdb, vxlanLink },
    tasks: Object.fromEntries(taskIpt),
  };
}

export async function snapshotAll(pool: SshPool, topo: Topology, props: SnapshotProps = {}): Promise<NodeSnapshot[]> {
  return pool.all(
    topo.nodes.map((n) => n.name),
    (node) => snapshotNode(pool, topo, node, props),
  );
}
