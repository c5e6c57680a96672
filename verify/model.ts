import type { ClientNodeSnapshot, UserOverlayTopology } from './model-paths';

/**
 * The contract between discovery/capture (verify/ssh, verify/discover, verify/capture)
 * and the engine (verify/engine). Discovery fills these from a live lab; the engine
 * reads them (plus pcaps) and decides hop by hop. Everything here is plain JSON so a
 * run can be saved as fixtures and replayed without a lab.
 */
import type { IntentFacts } from './discover-intent';

/** Kind of network namespace a capture point or snapshot lives in. */
/** `client`: the client task's namespace; `uoverlay`: the user overlay's namespace (`1-<id>`). */
export type NsKind = 'host' | 'sbox' | 'overlay' | 'task' | 'client' | 'uoverlay' | 'lb';

export interface TaskInfo {
  /** Swarm task id. */
  readonly id: string;
  /** Task slot (my-nginx.<slot>.<id>). */
  readonly slot: number;
  /** Lab node name the task runs on. */
  readonly node: string;
  readonly containerId: string;
  /** Address and MAC of the task on the ingress network. */
  readonly ingressIp: string;
  readonly ingressMac: string;
  /** Path of the container's network namespace on its node (SandboxKey). */
  readonly sandboxKey: string;
  /**
   * The task's interface on the ingress network, found by its address in the task namespace
   * (`eth0` in the seed, `eth2` on Docker 28 when ingress attaches last). Absent in round files
   * written before it was recorded; the engine then takes it from the task's capture file.
   */
  readonly ingressIface?: string;
}

export interface NodeInfo {
  /** Lab node name (libvirt domain / hostname). */
  readonly name: string;
  /** Underlay address on the lab NIC. */
  readonly ip: string;
  /** Name of the NIC carrying `ip` (found by address, expected `enp0s5`). */
  readonly nic: string;
  readonly engineVersion: string;
  /** dockerd's firewall backend as `docker info` reports it (API 1.49+); absent: an engine with iptables only. */
  readonly firewallBackend?: string;
  readonly swarmRole: 'manager' | 'worker';
  readonly leader: boolean;
  /** ingress-sbox endpoint on the ingress network (10.0.0.2 in the seed on the first node). */
  readonly sboxIngressIp: string;
  readonly sboxIngressMac: string;
  /** ingress-sbox address on docker_gwbridge (172.18.0.2 in the seed). */
  readonly sboxGwbridgeIp: string;
  /** docker_gwbridge gateway on the host (172.18.0.1). */
  readonly gwbridgeGateway: string;
  /** Namespace paths on this node. */
  readonly ns: {
    readonly sbox: string; // /var/run/docker/netns/ingress_sbox
    readonly overlay: string; // /var/run/docker/netns/1-<10 chars of ingress id>
  };
  /** Interface names inside the namespaces, matched by subnet not by name. */
  readonly ifaces: {
    readonly sboxIngress: string; // eth0 in the seed
    readonly sboxGwbridge: string; // eth1 in the seed
    readonly overlayVxlan: string; // vxlan0
    readonly overlayBridge: string; // br0
  };
}

export interface Topology {
  /** When discovery ran (ISO time). */
  readonly discoveredAt: string;
  readonly client: { readonly ip: string };
  readonly nodes: readonly NodeInfo[];
  readonly ingress: {
    readonly id: string;
    readonly subnet: string;
    readonly gateway: string;
    readonly vni: number;
    /** UDP port of the VXLAN data path (4789 unless --data-path-port). */
    readonly dataPathPort: number;
    /** Peers as docker reports them (underlay IPs). */
    readonly peers: readonly string[];
  };
  readonly service: {
    readonly name: string;
    readonly id: string;
    readonly publishedPort: number;
    readonly targetPort: number;
    /** The service VIP on the ingress network. */
    readonly vip: string;
    readonly tasks: readonly TaskInfo[];
  };
  /** The user overlay, its client tasks and the service on it (paths that start in a task). */
  readonly userOverlay?: UserOverlayTopology;
}

/** Text of state commands, per node and namespace, as the engine's state checks read them. */
export interface NodeSnapshot {
  readonly node: string;
  readonly host: {
    readonly iptablesSave: string;
    /** `sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables` output (absent in older rounds). */
    readonly sysctls?: string;
  };
  readonly sbox: {
    readonly iptablesSave: string;
    /** `ipvsadm -Ln` output, or empty when only /proc was available. */
    readonly ipvsadm: string;
    /** `/proc/net/ip_vs` (fallback when ipvsadm is missing). */
    readonly procIpvs: string;
    readonly addr: string; // `ip -o addr`
    /** `ipvsadm -Ln --stats` (connections and packets per real server; absent in older rounds). */
    readonly ipvsStats?: string;
    /** `ip neigh show` in ingress_sbox (absent in older rounds). */
    readonly neigh?: string;
  };
  readonly overlay: {
    readonly fdb: string; // `bridge fdb show dev vxlan0`
    readonly vxlanLink: string; // `ip -d link show vxlan0`
  };
  /** Keyed by container id. */
  readonly tasks: Readonly<
    Record<
      string,
      {
        readonly iptablesSave: string;
        /** `docker inspect --format '{{.State.Status}}'` (absent in older rounds). */
        readonly status?: string;
        /** `docker top <id> -o pid,stat,comm`: the processes and their state (T = stopped). */
        readonly top?: string;
      }
    >
  >;
  /** The client task's namespace and the user overlay namespace (when the topology has a user overlay). */
  readonly client?: ClientNodeSnapshot['client'];
  readonly userOverlay?: ClientNodeSnapshot['userOverlay'];
  readonly lb?: ClientNodeSnapshot['lb'];
}

/** One pcap file taken at one capture point. */
export interface CaptureFile {
  readonly node: string;
  readonly ns: NsKind;
  readonly iface: string;
  /** Container id when ns = task. */
  readonly containerId?: string;
  /** Path of the pcap on the verify host. */
  readonly file: string;
  /** True when the point was asked for but tcpdump failed there; the engine reports `not captured`. */
  readonly failed?: string;
}

/** A request verify generated, so the engine knows what to look for. */
export interface RequestRecord {
  /** Index in the round. */
  readonly index: number;
  /** Node the client sent the request to (entry node). */
  readonly entryNode: string;
  readonly url: string;
  /** Path the request exercises (verify/paths); default `ingress`. */
  readonly path?: string;
  /** The client container a task-started request ran in (its node is `entryNode`). */
  readonly fromContainer?: string;
  /**
   * How long the exchange took, ms. Client paths: measured inside the container; the first record of
   * a node's `docker exec` also carries what the exec took beyond its exchanges (ssh, start-up).
   */
  readonly durationMs?: number;
  /** Egress: the address and port the listener saw the connection come from. */
  readonly peer?: { readonly address: string; readonly port: number };
  /** Client source port if known (from the client side pcap or curl -w). */
  readonly clientPort?: number;
  /** HTTP status and body the client got; body names the serving node (`Host IP is <ip>`). */
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
  readonly startedAt: string;
}

/** Everything one verify round produced; what the engine consumes. */
export interface RoundData {
  /** What the swarm says it is (verify/discover-intent.ts), read after the round; the intent checks compare it with the lab. */
  readonly intent?: IntentFacts;
  readonly topology: Topology;
  readonly snapshots: readonly NodeSnapshot[];
  readonly captures: readonly CaptureFile[];
  readonly requests: readonly RequestRecord[];
}
