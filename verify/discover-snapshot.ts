/**
 * State snapshots per node and namespace (iptables, IPVS, fdb, vxlan details) as raw text
 * for the engine's state checks, read in ONE exec per node (verify/batch.ts): a snapshot is a dozen
 * short reads, and as separate execs on a 1-vCPU TCG guest they queued behind sshd's session limit.
 * IPVS falls back to /proc/net/ip_vs when ipvsadm is missing.
 */
import { BatchReads } from './batch';
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
  const tasks = topo.service.tasks.filter((t) => t.node === node);
  const b = new BatchReads();
  const hostIpt = b.add('iptables-save');
  const sboxIpt = b.add(inNs(n.ns.sbox, 'iptables-save'));
  const ipvsadm = b.add(inNs(n.ns.sbox, 'ipvsadm -Ln'));
  // /proc/net/ip_vs is read either way (per netns file): the fallback when ipvsadm is missing.
  const procIpvs = b.add(inNs(n.ns.sbox, 'cat /proc/net/ip_vs'));
  const addr = b.add(inNs(n.ns.sbox, 'ip -o addr show'));
  const fdb = b.add(inNs(n.ns.overlay, `bridge fdb show dev ${shQuote(n.ifaces.overlayVxlan)}`));
  const vxlanLink = b.add(inNs(n.ns.overlay, `ip -d link show ${shQuote(n.ifaces.overlayVxlan)}`));
  const perTask = tasks.map((t) => ({
    id: t.containerId,
    iptablesSave: b.add(inNs(t.sandboxKey, 'iptables-save')),
    status: b.add(`docker inspect --format '{{.State.Status}}' ${shQuote(t.containerId)}`),
    top: b.add(`docker top ${shQuote(t.containerId)} -o pid,stat,comm`),
  }));
  const sysctls = b.add('sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables');
  const ipvsStats = b.add(inNs(n.ns.sbox, 'ipvsadm -Ln --stats'));
  const neigh = b.add(inNs(n.ns.sbox, 'ip neigh show'));
  await b.run(pool, node);

  const ipvs = b.unlessMissing(ipvsadm);
  if (ipvs === undefined)
    props.log?.(node, 'snapshot', 'ipvsadm not installed: using /proc/net/ip_vs (install ipvsadm for names)');
  const stats = ipvs === undefined ? undefined : b.optional(ipvsStats);
  const sys = b.optional(sysctls);
  const nb = b.optional(neigh);
  const taskState = perTask.map((t) => {
    const status = b.optional(t.status);
    const top = b.optional(t.top);
    return [
      t.id,
      {
        iptablesSave: b.required(t.iptablesSave),
        ...(status !== undefined ? { status: status.trim() } : {}),
        ...(top !== undefined ? { top } : {}),
      },
    ] as const;
  });
  const snapshot: NodeSnapshot = {
    node,
    host: { iptablesSave: b.required(hostIpt), ...(sys !== undefined ? { sysctls: sys } : {}) },
    sbox: {
      iptablesSave: b.required(sboxIpt),
      ipvsadm: ipvs ?? '',
      procIpvs: b.optional(procIpvs) ?? '',
      addr: b.required(addr),
      ...(stats !== undefined ? { ipvsStats: stats } : {}),
      ...(nb !== undefined ? { neigh: nb } : {}),
    },
    overlay: { fdb: b.required(fdb), vxlanLink: b.required(vxlanLink) },
    tasks: Object.fromEntries(taskState),
  };
  props.log?.(node, 'snapshot', `iptables/ipvs/fdb/${tasks.length} task ns (${Date.now() - t0} ms)`);
  return snapshot;
}

export async function snapshotAll(pool: SshPool, topo: Topology, props: SnapshotProps = {}): Promise<NodeSnapshot[]> {
  return pool.all(
    topo.nodes.map((n) => n.name),
    (node) => snapshotNode(pool, topo, node, props),
  );
}
