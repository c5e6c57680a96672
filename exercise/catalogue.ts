/**
 * Break-and-fix exercises as data: each is a realistic, reversible mistake on the ingress data path,
 * the shell to inject it and to undo it on one node (run as root over SSH), hints in rising detail,
 * and the hop verify must blame (a verify/paths/ingress.ts hop id). `{entry}`, `{port}`, `{vxlanPort}`,
 * `{sbox}` are filled from the lab model; verify sends its requests to the first node, the entry.
 */
export interface Exercise {
  readonly name: string;
  readonly title: string;
  /** What the attendee is told at start (the symptom, never the fault). */
  readonly symptom: string;
  /** Which node the fault goes on: the entry node (verify's first node) or a serving node. */
  readonly on: 'entry' | 'serving';
  readonly inject: string;
  readonly undo: string;
  readonly hints: readonly string[];
  /** The hop id verify's firstBroken must name while the fault is in. */
  readonly blames: string;
}

const SBOX = 'nsenter --net=/var/run/docker/netns/ingress_sbox';
/** `<fwmark> <real ip:port>` per real server of every FWM service in ingress_sbox. */
const IPVS_REALS = `${SBOX} ipvsadm -Ln | awk '/^FWM/ {f = $2} /->/ && $2 ~ /^[0-9]/ {print f, $2}'`;

export const EXERCISES: readonly Exercise[] = [
  {
    name: 'forward-drop',
    title: 'A firewall rule on the entry node',
    symptom: 'curl to the published port on {entry} hangs; the other nodes answer.',
    on: 'entry',
    inject: 'iptables -I FORWARD 1 -p tcp --dport {port} -j DROP',
    undo: 'while iptables -D FORWARD -p tcp --dport {port} -j DROP 2>/dev/null; do :; done',
    hints: [
      'The SYN arrives on the NIC (tcpdump -ni enp0s5 tcp port {port}) but never shows up in ingress_sbox.',
      'After the DNAT the packet is forwarded, not delivered locally: which chain judges forwarded packets?',
      'iptables -L FORWARD -nv --line-numbers: the first rule matters.',
    ],
    blames: '2-entry-host-dnat',
  },
  {
    name: 'ingress-dnat-flushed',
    title: 'The routing mesh DNAT is gone',
    symptom: 'connections to port {port} on {entry} are refused at once.',
    on: 'entry',
    inject: 'iptables-save -t nat > /run/swl-exercise-nat.rules && iptables -t nat -F DOCKER-INGRESS',
    undo: 'f=/run/swl-exercise-nat.rules; [ ! -f $f ] || { iptables-restore < $f && rm -f $f; }',
    hints: [
      'The SYN arrives on the NIC and is answered by the host itself with a RST.',
      'Look at the nat table: iptables -t nat -S PREROUTING, then the chain it jumps to.',
      'iptables -t nat -S DOCKER-INGRESS is empty: a firewalld reload or iptables -F does this; restarting docker recreates it.',
    ],
    blames: '2-entry-host-dnat',
  },
  {
    name: 'ipvs-weight-zero',
    title: 'IPVS schedules nobody',
    symptom: 'port {port} on {entry} accepts nothing, though the tasks run.',
    on: 'entry',
    inject: `${IPVS_REALS} | while read -r f r; do ${SBOX} ipvsadm -e -f "$f" -r "$r" -m -w 0; done`,
    undo: `${IPVS_REALS} | while read -r f r; do ${SBOX} ipvsadm -e -f "$f" -r "$r" -m -w 1; done`,
    hints: [
      'The SYN reaches ingress_sbox (tcpdump on its eth1) but never leaves it on eth0.',
      'In ingress_sbox, IPVS picks the task: nsenter --net=/var/run/docker/netns/ingress_sbox ipvsadm -Ln',
      'Every real server has Weight 0: IPVS sends new connections to none of them.',
    ],
    blames: '5-entry-sbox-ipvs',
  },
  {
    name: 'vxlan-blocked',
    title: 'The overlay cannot leave the entry node',
    symptom: 'on {entry} some requests to port {port} work, others hang.',
    on: 'entry',
    inject: 'iptables -I OUTPUT 1 -p udp --dport {vxlanPort} -j DROP',
    undo: 'while iptables -D OUTPUT -p udp --dport {vxlanPort} -j DROP 2>/dev/null; do :; done',
    hints: [
      'The requests that hang are those IPVS sends to a task on another node.',
      'Follow one into the overlay namespace (vxlan0) and then onto the NIC: tcpdump -ni enp0s5 udp port {vxlanPort}.',
      'Something drops the VXLAN datagrams on their way out: iptables -L OUTPUT -nv.',
    ],
    blames: '9-entry-host-vxlan-out',
  },
  {
    name: 'ip-forward-off',
    title: 'The entry node stopped routing',
    symptom: 'curl to port {port} on {entry} hangs; ssh to {entry} still works.',
    on: 'entry',
    inject: 'sysctl -qw net.ipv4.ip_forward=0',
    undo: 'sysctl -qw net.ipv4.ip_forward=1',
    hints: [
      'The DNAT rule is there and the SYN arrives, but nothing enters ingress_sbox.',
      'A DNATed packet to docker_gwbridge has to be routed by the host.',
      'sysctl net.ipv4.ip_forward',
    ],
    blames: '3-entry-sbox-eth1',
  },
  {
    name: 'task-frozen',
    title: 'A task that does not answer',
    symptom: 'one request in three to port {port} connects but never gets a page.',
    on: 'serving',
    // Exit 3: no task of the service on this node (the runner tries the next one).
    inject:
      'c=$(docker ps -q -f label=com.docker.swarm.service.name={service} | head -n 1); [ -n "$c" ] || exit 3; docker pause "$c"',
    undo: 'for c in $(docker ps -q -f status=paused -f label=com.docker.swarm.service.name={service}); do docker unpause "$c"; done',
    hints: [
      'The TCP handshake completes (the kernel answers for the task) but no HTTP answer comes back.',
      'Which task served the failing request? The verify report names the serving node.',
      'docker ps on that node: look at the STATUS column.',
    ],
    blames: 'R13-serving-task-http-response',
  },
];

export function exerciseByName(name: string): Exercise | undefined {
  return EXERCISES.find((e) => e.name === name);
}

export interface ExerciseVars {
  readonly entry: string;
  readonly port: number;
  readonly vxlanPort: number;
  readonly service: string;
}

/** Fill `{entry}`, `{port}`, ... from the lab. */
export function fill(text: string, v: ExerciseVars): string {
  return text.replace(/\{(entry|port|vxlanPort|service)\}/g, (_, k: keyof ExerciseVars) => String(v[k]));
}
