/**
 * State snapshots per node and namespace (iptables, IPVS, fdb, vxlan details) as raw text
 * for the engine's state checks, read in ONE exec per node (verify/batch.ts): a snapshot is a dozen
 * short reads, and as separate execs on a 1-vCPU TCG guest they queued behind sshd's session limit.
 * IPVS falls back to /proc/net/ip_vs when ipvsadm is missing.
 */
import { BatchReads } from './batch';
import { inNs } from './discover';
import { apiOrCli } from './engine-api';
import type { NodeSnapshot, Topology } from './model';
import { shQuote, SshPool } from './ssh';

export interface SnapshotProps {
  readonly log?: (node: string, step: string, detail: string) => void;
}

/** The task's processes, as `docker top` takes them: the engine reads each one's state (T = stopped). */
const TOP_ARGS = '-o pid,stat,comm';

/** State.Status from the API's container JSON, or the CLI's `{{.State.Status}}` line. */
export function containerStatus(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!text.trimStart().startsWith('{')) return text.trim();
  const s = (JSON.parse(text) as { State?: { Status?: unknown } }).State?.Status;
  return typeof s === 'string' ? s : undefined;
}

/** The API's `/top` JSON as the CLI's table (a title line, then one line per process), or the CLI's table. */
export function processTable(text: string | undefined): string | undefined {
  if (text === undefined || !text.trimStart().startsWith('{')) return text;
  const t = JSON.parse(text) as { Titles?: unknown[]; Processes?: unknown[][] };
  return [t.Titles ?? [], ...(t.Processes ?? [])].map((row) => row.map(String).join('  ')).join('\n') + '\n';
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
    status: b.add(
      apiOrCli(
        `/containers/${t.containerId}/json`,
        `docker inspect --format '{{.State.Status}}' ${shQuote(t.containerId)}`,
      ),
    ),
    top: b.add(
      apiOrCli(
        `/containers/${t.containerId}/top?ps_args=${encodeURIComponent(TOP_ARGS)}`,
        `docker top ${shQuote(t.containerId)} ${TOP_ARGS}`,
      ),
    ),
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
    const status = containerStatus(b.optional(t.status));
    const top = processTable(b.optional(t.top));
    return [
      t.id,
      {
        iptablesSave: b.required(t.iptablesSave),
        ...(status !== undefined ? { status } : {}),
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
