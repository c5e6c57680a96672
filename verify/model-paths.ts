/**
 * The contract for the paths that start inside a client task on the user overlay (seeds 002, 004):
 * service-vip, task-to-task, dns, egress. Discovery (verify/discover-client.ts) fills the facts, the
 * client traffic (verify/traffic-client.ts) the records; plain JSON, saved in round.json.
 */
/** A task's endpoint on the user overlay, inside its own namespace. */
export interface OverlayEndpoint {
  readonly node: string;
  readonly containerId: string;
  /** Path of the container's network namespace on its node (SandboxKey). */
  readonly sandboxKey: string;
  readonly ip: string;
  readonly mac: string;
  /** Interface holding `ip` inside the container (matched by address). */
  readonly iface: string;
}

/** The client task on one node: on the user overlay and, for egress, on docker_gwbridge. */
export interface ClientTask extends OverlayEndpoint {
  readonly taskId: string;
  /** Address and interface on docker_gwbridge inside the container. */
  readonly gwbridgeIp: string;
  readonly gwbridgeIface: string;
}

export interface UserOverlayNode {
  readonly name: string;
  /** The user overlay's namespace on this node (`1-<10 chars of the network id>`). */
  readonly nsPath: string;
  readonly vxlanIface: string;
  readonly bridgeIface: string;
  /** docker_gwbridge on the host: bridge name, subnet, gateway. */
  readonly gwbridge: { readonly iface: string; readonly subnet: string; readonly gateway: string };
  /**
   * The network's load-balancer endpoint on this node (`lb-<network>`, namespace `lb_<9 chars of the
   * network id>`), when Docker made one: since Docker 17.x/18.x (seen on 20.10 and later) the service
   * VIPs of a user overlay are balanced there, not in each client container as in seed 004.
   */
  readonly lb?: LoadBalancerEndpoint;
}

export interface LoadBalancerEndpoint {
  readonly nsPath: string;
  readonly ip: string;
  readonly mac: string;
  /** Interface holding `ip` inside the lb namespace. */
  readonly iface: string;
}

export interface UserOverlayTopology {
  readonly network: {
    readonly name: string;
    readonly id: string;
    readonly subnet: string;
    /** From `com.docker.network.driver.overlay.vxlanid_list`. */
    readonly vni: number;
  };
  /** The service's VIP on the user overlay and the port its tasks listen on there. */
  readonly service: { readonly name: string; readonly vip: string; readonly port: number };
  /**
   * Where the VIP is load balanced, found by where the VIP sits as a /32: `lb` = the network's
   * load-balancer namespace on each node (MARK in mangle INPUT, SNAT to the lb endpoint's address),
   * `client` = inside each client container (seed 004: MARK in mangle OUTPUT, SNAT to the client's own).
   * Absent in rounds recorded before it was discovered: `client`.
   */
  readonly vipAt?: 'lb' | 'client';
  readonly clientService: string;
  readonly nodes: readonly UserOverlayNode[];
  /** The service's tasks on the user overlay (one per task). */
  readonly tasks: readonly OverlayEndpoint[];
  /** One client task per node. */
  readonly clients: readonly ClientTask[];
  /** Present when the egress path runs. */
  readonly egressTarget?: EgressTarget;
}

/** State text per node, as the path checks read it (optional parts of NodeSnapshot). */
export interface ClientNodeSnapshot {
  readonly client: {
    readonly containerId: string;
    readonly iptablesSave: string;
    readonly ipvsadm: string;
    readonly procIpvs: string;
    readonly addr: string;
  };
  readonly userOverlay: { readonly neigh: string; readonly fdb: string; readonly vxlanLink: string };
  /** The user overlay's load-balancer namespace, when the node has one. */
  readonly lb?: {
    readonly iptablesSave: string;
    readonly ipvsadm: string;
    readonly procIpvs: string;
    readonly addr: string;
  };
}

/** The egress listener verify runs inside the lab's namespace, on the client address. */
export interface EgressTarget {
  readonly ip: string;
  readonly port: number;
}
