/**
 * A Docker look-alike on the sshd harness for discovery/round tests: per host, namespaces wired
 * like Docker's (ingress_sbox, overlay `1-<id>` with a real vxlan0, a task sandbox) behind a
 * per-host "netns dir" of symlinks, and a `docker` CLI that REPLAYS recorded output (the seed's
 * real `docker network/service inspect`, `docker node ls`; test/fixtures/discovery).
 * Docker Swarm itself cannot run on this machine; everything else is real. Host 1 replays the
 * seed's centos7-10; host 2 is derived (task slot 2, sbox 10.0.0.3) and has its interface names
 * shuffled so that only matching by subnet/address finds them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostKeyPins } from '../../verify/hostkeys';
import { SshPool, SshPoolProps } from '../../verify/ssh';
import { nsRun } from './procs';
import { SshdHarness } from './sshd-harness';

const FX = path.join(__dirname, '../fixtures/discovery');
const fx = (f: string): string => fs.readFileSync(path.join(FX, f), 'utf8');

export const REPLAY_NODES = [
  { name: 'centos7-10', ip: '10.77.0.11' },
  { name: 'centos7-18', ip: '10.77.0.12' },
];
export const C10 = '86e2f87808941e12b5912ec5ee922dc48b04fbb4ce035189323eda51d4b74cac'; // seed: my-nginx.1 on centos7-10
export const C18 = '7fd6d0335ad4c2a9bd8d9d4b1b0c9f7b6e3a2d1c0b9a8f7e6d5c4b3a2f1e0d9c'; // derived: my-nginx.2 on centos7-18

/**
 * `docker info --format '{{json .}}'` reduced to what discovery reads (the seed recorded no docker info;
 * these are the version and roles the replay nodes had before: 24.0.7, manager and worker).
 */
function dockerInfo(version: string, state: string, control: boolean): string {
  return JSON.stringify({ ServerVersion: version, Swarm: { LocalNodeState: state, ControlAvailable: control } }) + '\n';
}

/** Replay data per host: h1 = the seed's centos7-10 output; h2 = derived for a second node. */
function writeReplay(replay: string): void {
  const ingress = JSON.parse(fx('seed000-network-inspect-ingress.json'));
  // Keep slot 1 only on centos7-10 (slot 3's container is not running in this replay).
  const h1Ingress = structuredClone(ingress);
  delete h1Ingress[0].Containers['8593fe83b9259ace2cf6c1f0718c48c9206da0a657759676f7599014120d48e0'];
  const h2Ingress = structuredClone(ingress);
  h2Ingress[0].Containers = {
    [C18]: {
      Name: 'my-nginx.2.b7k3rj5hq8m2n4p6s8u0w2y4a',
      EndpointID: 'x',
      MacAddress: '02:42:0a:00:00:14',
      IPv4Address: '10.0.0.20/24',
      IPv6Address: '',
    },
    'ingress-sbox': {
      Name: 'ingress-endpoint',
      EndpointID: 'y',
      MacAddress: '02:42:0a:00:00:03',
      IPv4Address: '10.0.0.3/24',
      IPv6Address: '',
    },
  };
  const gwbridge = JSON.stringify(JSON.parse(fx('seed000-network-inspect-gwbridge.json'))[0]);
  const per: Record<string, Record<string, string>> = {
    h1: {
      info: dockerInfo('24.0.7', 'active', true),
      'network-ingress': JSON.stringify(h1Ingress[0]),
      'network-docker_gwbridge': gwbridge,
      'node-ls': fx('seed000-docker-node-ls.txt'),
      'service-my-nginx': fx('seed000-service-inspect.json'),
      sandboxes: `${C10} ${replay}/netns-h1/a567c55696f4\n`,
    },
    h2: {
      info: dockerInfo('24.0.7', 'active', false),
      'network-ingress': JSON.stringify(h2Ingress[0]),
      'network-docker_gwbridge': gwbridge,
      sandboxes: `${C18} ${replay}/netns-h2/7fd6d0335ad4\n`,
    },
  };
  for (const [host, files] of Object.entries(per)) {
    fs.mkdirSync(path.join(replay, host), { recursive: true });
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(replay, host, f), text);
  }
  fs.mkdirSync(path.join(replay, 'bin'));
  // The replaying `docker`: answers only the commands discovery sends; anything else fails loudly.
  fs.writeFileSync(
    path.join(replay, 'bin', 'docker'),
    `#!/bin/sh
d=${replay}/$SWL_NODE
case "$1 $2" in
  "info --format") # a recorded failure: stdout, then stderr from info.err and exit 1 (as the CLI does)
    [ "$3" = '{{json .}}' ] || { echo "replay docker: unexpected: $*" >&2; exit 99; }
    cat $d/info; [ -f $d/info.err ] && { cat $d/info.err >&2; exit 1; }; exit 0 ;;
  "network inspect") # like the CLI: one JSON array of the networks found, an error line per missing one, exit 1 then
    shift 2; rc=0; sep=; printf '['
    for n in "$@"; do
      if [ -f $d/network-$n ]; then printf '%s' "$sep"; cat $d/network-$n; sep=,; else echo "Error response from daemon: network $n not found" >&2; rc=1; fi
    done
    echo ']'; exit $rc ;;
  "node ls") [ -f $d/node-ls ] && cat $d/node-ls || { echo "Error response from daemon: This node is not a swarm manager." >&2; exit 1; } ;;
  "service inspect") [ -f $d/service-$3 ] && cat $d/service-$3 || { echo "[]"; echo "Status: Error: no such service: $3, Code: 1" >&2; exit 1; } ;;
  "inspect --format") shift 3; for id in "$@"; do grep "^$id " $d/sandboxes || exit 1; done ;;
  *) echo "replay docker: unexpected: $*" >&2; exit 99 ;;
esac
`,
    { mode: 0o755 },
  );
}

/** Docker-like namespaces for one host; `swap` renames interfaces so names cannot be relied on. */
function wireHost(h: SshdHarness, replay: string, k: number, hostNs: string, swap: boolean): void {
  const sb = h.addNamespace(`sb${k}`);
  const ov = h.addNamespace(`ov${k}`);
  const task = h.addNamespace(`t${k}`);
  const sboxIp = k === 1 ? '10.0.0.2' : '10.0.0.3';
  const taskIp = k === 1 ? '10.0.0.17' : '10.0.0.20';
  const [ingIf, gwIf] = swap ? ['eth1', 'eth0'] : ['eth0', 'eth1'];
  nsRun(hostNs, ['ip', 'link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '4096', 'dstport', '4789', 'dev', 'eth0']);
  nsRun(hostNs, ['ip', 'link', 'set', 'vxlan0', 'netns', ov]);
  nsRun(ov, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  nsRun(ov, ['ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'br0']);
  nsRun(ov, ['ip', 'link', 'set', 'vxlan0', 'master', 'br0']);
  nsRun(ov, [
    'bridge',
    'fdb',
    'append',
    '02:42:0a:00:00:14',
    'dev',
    'vxlan0',
    'dst',
    '10.77.0.12',
    'self',
    'permanent',
  ]);
  nsRun(ov, ['ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', ingIf, 'netns', sb]);
  nsRun(ov, ['ip', 'link', 'add', 'veth1', 'type', 'veth', 'peer', 'name', swap ? 'eth2' : 'eth0', 'netns', task]);
  nsRun(hostNs, ['ip', 'link', 'add', 'vgw', 'type', 'veth', 'peer', 'name', gwIf, 'netns', sb]);
  nsRun(sb, ['ip', 'addr', 'add', `${sboxIp}/24`, 'dev', ingIf]);
  nsRun(sb, ['ip', 'addr', 'add', '10.0.0.15/32', 'dev', ingIf]);
  nsRun(sb, ['ip', 'addr', 'add', '172.18.0.2/16', 'dev', gwIf]);
  nsRun(task, ['ip', 'addr', 'add', `${taskIp}/24`, 'dev', swap ? 'eth2' : 'eth0']);
  for (const [ns, links] of [
    [sb, [ingIf, gwIf, 'lo']],
    [ov, ['br0', 'vxlan0', 'veth0', 'veth1']],
    [task, [swap ? 'eth2' : 'eth0', 'lo']],
    [hostNs, ['vgw']],
  ] as const) {
    for (const l of links) nsRun(ns, ['ip', 'link', 'set', l, 'up']);
  }
  // Docker's netns dir for this host: names as Docker gives them, pointing at our namespaces.
  const dir = path.join(replay, `netns-h${k}`);
  fs.mkdirSync(dir);
  fs.symlinkSync(`/var/run/netns/${sb}`, path.join(dir, 'ingress_sbox'));
  fs.symlinkSync(`/var/run/netns/${ov}`, path.join(dir, '1-9j40lm9s5d'));
  fs.symlinkSync(`/var/run/netns/${ov}`, path.join(dir, '1-9u6c1vlfy4')); // ol_network's: must not be picked
  fs.symlinkSync(`/var/run/netns/${task}`, path.join(dir, k === 1 ? 'a567c55696f4' : '7fd6d0335ad4'));
}

export interface ReplayLab {
  readonly h: SshdHarness;
  /** Temp dir holding the replay data, the fake docker and the per-host netns dirs. */
  readonly dir: string;
  readonly nodes: typeof REPLAY_NODES;
  /** Docker's netns dir per node (discover's `netnsDir`). */
  readonly netnsDir: (node: string) => string;
  /** A pool to the replay nodes through the harness forwarder. */
  pool(over?: Partial<SshPoolProps>): SshPool;
  stop(): Promise<void>;
}

export async function startReplayLab(): Promise<ReplayLab> {
  const replay = fs.mkdtempSync(path.join(os.tmpdir(), `swl-replay-${process.pid}-`));
  writeReplay(replay);
  let h: SshdHarness;
  try {
    h = await SshdHarness.start({
      hosts: 2,
      sshdExtra: (host) => [
        `SetEnv PATH=${replay}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SWL_NODE=${host}`,
      ],
    });
  } catch (e) {
    fs.rmSync(replay, { recursive: true, force: true });
    throw e;
  }
  const pools: SshPool[] = [];
  try {
    wireHost(h, replay, 1, h.hosts[0].ns, false);
    wireHost(h, replay, 2, h.hosts[1].ns, true);
  } catch (e) {
    await h.stop();
    fs.rmSync(replay, { recursive: true, force: true });
    throw e;
  }
  const pins = new HostKeyPins();
  pins.addKnownHosts(fs.readFileSync(h.knownHosts, 'utf8'), h.knownHosts);
  return {
    h,
    dir: replay,
    nodes: REPLAY_NODES,
    netnsDir: (node) => `${replay}/netns-h${REPLAY_NODES.findIndex((n) => n.name === node) + 1}`,
    pool(over = {}) {
      const p = new SshPool(
        REPLAY_NODES.map((n) => ({ node: n.name, host: n.ip })),
        {
          user: 'root',
          privateKey: h.userKey,
          pins,
          dial: h.dial,
          connectTimeoutMs: 20000,
          bootWaitMs: 30000,
          ...over,
        },
      );
      pools.push(p);
      return p;
    },
    async stop() {
      await Promise.all(pools.map((p) => p.close()));
      await h.stop();
      fs.rmSync(replay, { recursive: true, force: true });
    },
  };
}
