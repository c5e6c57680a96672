/**
 * Intent facts: what the swarm itself says about nodes, the service, its tasks, the data path
 * port and the user overlay, read from one manager in ONE SSH round trip (a small script that
 * prints each answer under a `### <section>` header). The lab model is compared with these in
 * verify/intent.ts; verify/converge.ts reads the update and task states from them.
 * Pure parsing (parseIntentOutput) is separate from the SSH call so recorded output replays.
 */
import { SwarmLabError, EXIT } from '../lib/exit';
import { apiMessage, apiOrCli, inspected, SH_API_FUNCTION } from './engine-api';
import { shQuote, type SshPool } from './ssh';

export interface IntentNode {
  readonly id: string;
  readonly hostname: string;
  /** Status.Addr, or the manager address when a manager reports 0.0.0.0. */
  readonly addr: string;
  readonly role: 'manager' | 'worker';
  /** `ready`, `down`, `unknown`, `disconnected` (Status.State). */
  readonly state: string;
  /** `active`, `pause`, `drain` (Spec.Availability). */
  readonly availability: string;
  readonly leader: boolean;
  /** Description.Engine.EngineVersion as the daemon reports it, e.g. `20.10.24+dfsg1`. */
  readonly engineVersion: string;
}

export interface IntentPort {
  readonly protocol: string;
  readonly publishedPort: number;
  readonly targetPort: number;
  readonly publishMode: string;
}

export interface IntentTask {
  readonly id: string;
  readonly slot?: number;
  readonly nodeId: string;
  /** Hostname of `nodeId` (empty when the task is not assigned yet). */
  readonly node: string;
  readonly desiredState: string;
  /** Status.State: new, pending, assigned, accepted, preparing, starting, running, complete, shutdown, failed, rejected, ... */
  readonly state: string;
  readonly message: string;
  readonly error?: string;
  readonly containerId?: string;
}

export interface IntentService {
  readonly id: string;
  readonly name: string;
  readonly mode: 'replicated' | 'global' | 'other';
  /** Spec.Mode.Replicated.Replicas. */
  readonly replicas?: number;
  readonly ports: readonly IntentPort[];
  readonly endpointMode: string;
  /** Network ids in Spec.TaskTemplate.Networks. */
  readonly networks: readonly string[];
  /** UpdateStatus, absent when the service was never updated. */
  readonly update?: { readonly state: string; readonly message: string; readonly startedAt?: string };
}

export interface IntentNetwork {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly scope: string;
  readonly subnets: readonly string[];
}

export interface IntentFacts {
  /** Manager the facts were read from, and when. */
  readonly fromNode: string;
  readonly readAt: string;
  readonly nodes: readonly IntentNode[];
  readonly swarm: { readonly dataPathPort?: number };
  /** Absent when the service does not exist (`error` says why). */
  readonly service?: IntentService;
  readonly serviceError?: string;
  readonly tasks: readonly IntentTask[];
  /** The user overlay named by the lab; absent when it does not exist. */
  readonly overlay?: IntentNetwork;
  readonly overlayError?: string;
}

const SECTIONS = ['nodes', 'service', 'tasks', 'swarm', 'overlay'] as const;
type Section = (typeof SECTIONS)[number];

/**
 * The one script run on a manager; each answer under `### <section>`, its exit code under `### rc <section> <n>`.
 * Each part asks the Engine API (the same JSON the CLI prints: the CLI's inspect wraps it in an
 * array, and the `swarm` part holds all of `/info`), or the CLI where curl cannot. The parts run side
 * by side (each into a temp file), so the round trip lasts as long as the slowest.
 */
export function intentCommand(service: string, overlay: string): string {
  const s = shQuote(service);
  const tasksFilter = encodeURIComponent(JSON.stringify({ service: { [service]: true } }));
  const parts: Array<[Section, string]> = [
    ['nodes', apiOrCli('/nodes', 'docker node inspect $(docker node ls -q)')],
    ['service', apiOrCli(`/services/${encodeURIComponent(service)}`, `docker service inspect ${s}`)],
    // Every task of the service, history included: desired and current state tell whether it converges.
    [
      'tasks',
      apiOrCli(
        `/tasks?filters=${tasksFilter}`,
        `t=$(docker service ps -q --no-trunc ${s} 2>/dev/null); if [ -n "$t" ]; then docker inspect --type task $t; else echo '[]'; fi`,
      ),
    ],
    ['swarm', apiOrCli('/info', `docker info --format '{{json .Swarm}}'`)],
    ['overlay', apiOrCli(`/networks/${encodeURIComponent(overlay)}`, `docker network inspect ${shQuote(overlay)}`)],
  ];
  return [
    'd=$(mktemp -d)',
    SH_API_FUNCTION,
    ...parts.map(
      ([name, cmd]) => `{ ( ${cmd} ) >"$d/${name}" 2>"$d/${name}.err" </dev/null; echo $? >"$d/${name}.rc"; } &`,
    ),
    'wait',
    `for s in ${parts.map(([n]) => n).join(' ')}; do echo "### $s"; cat "$d/$s"; echo "### rc $s $(cat "$d/$s.rc")"; sed "s/^/$s: /" "$d/$s.err" >&2; done`,
    'rm -rf "$d"',
  ].join('\n');
}

interface RawSection {
  readonly text: string;
  readonly rc: number;
}

function splitSections(out: string): Partial<Record<Section, RawSection>> {
  const res: Partial<Record<Section, RawSection>> = {};
  let cur: Section | undefined;
  let buf: string[] = [];
  for (const line of out.split('\n')) {
    const head = /^### (\w+)$/.exec(line);
    const rc = /^### rc (\w+) (\d+)$/.exec(line);
    if (head && (SECTIONS as readonly string[]).includes(head[1])) {
      cur = head[1] as Section;
      buf = [];
    } else if (rc && cur === rc[1]) {
      res[cur] = { text: buf.join('\n'), rc: Number(rc[2]) };
      cur = undefined;
    } else if (cur) buf.push(line);
  }
  return res;
}

function json(sec: RawSection | undefined, what: string): any {
  if (!sec) throw new SwarmLabError(EXIT.env, `intent: no answer for ${what} (the manager's output was cut short)`);
  try {
    return JSON.parse(sec.text.trim() || 'null');
  } catch (e) {
    throw new SwarmLabError(EXIT.env, `intent: ${what} is not JSON: ${(e as Error).message}`);
  }
}

/** The object an API read returns, or the first of the CLI's inspect array. */
const first = (v: unknown): any => inspected(v)[0];

const str = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

/** Parse the script's output (stdout) into typed facts. */
export function parseIntentOutput(out: string, fromNode: string, readAt: string, stderr = ''): IntentFacts {
  const sec = splitSections(out);
  // The script prefixes each part's stderr lines with `<section>: `; the API's errors are `{"message": ...}`.
  const why = (s: Section): string => {
    const line =
      stderr
        .split('\n')
        .find((l) => l.startsWith(`${s}: `) && l.length > s.length + 2)
        ?.slice(s.length + 2)
        .trim() ||
      sec[s]?.text.trim() ||
      `exit ${sec[s]?.rc}`;
    return apiMessage(line) ?? line;
  };
  if (sec.nodes?.rc !== 0)
    throw new SwarmLabError(EXIT.env, `intent: docker node inspect failed on ${fromNode}: ${why('nodes')}`, {
      fix: 'run verify against a swarm manager',
    });
  const rawNodes = (json(sec.nodes, 'docker node inspect') ?? []) as any[];
  const nodes: IntentNode[] = rawNodes.map((n) => {
    const mgr = n.ManagerStatus;
    const addr = str(n.Status?.Addr);
    return {
      id: str(n.ID),
      hostname: str(n.Description?.Hostname),
      addr: addr && addr !== '0.0.0.0' ? addr : str(mgr?.Addr).split(':')[0],
      role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
      state: str(n.Status?.State),
      availability: str(n.Spec?.Availability),
      leader: mgr?.Leader === true,
      engineVersion: str(n.Description?.Engine?.EngineVersion),
    };
  });
  // By hostname, as `docker node ls` lists them (the API's /nodes has its own order).
  nodes.sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
  const hostOf = new Map(nodes.map((n) => [n.id, n.hostname]));

  let service: IntentService | undefined;
  let serviceError: string | undefined;
  if (sec.service?.rc === 0) {
    const s = first(json(sec.service, 'docker service inspect'));
    const mode = s?.Spec?.Mode ?? {};
    const update = s?.UpdateStatus;
    service = {
      id: str(s?.ID),
      name: str(s?.Spec?.Name),
      mode: mode.Replicated ? 'replicated' : mode.Global ? 'global' : 'other',
      ...(mode.Replicated ? { replicas: Number(mode.Replicated.Replicas ?? 1) } : {}),
      ports: ((s?.Endpoint?.Ports ?? s?.Spec?.EndpointSpec?.Ports ?? []) as any[]).map((p) => ({
        protocol: str(p.Protocol) || 'tcp',
        publishedPort: Number(p.PublishedPort),
        targetPort: Number(p.TargetPort),
        publishMode: str(p.PublishMode) || 'ingress',
      })),
      endpointMode: str(s?.Spec?.EndpointSpec?.Mode ?? s?.Endpoint?.Spec?.Mode) || 'vip',
      networks: ((s?.Spec?.TaskTemplate?.Networks ?? s?.Spec?.Networks ?? []) as any[]).map((n) => str(n.Target)),
      ...(update
        ? {
            update: {
              state: str(update.State),
              message: str(update.Message),
              ...(update.StartedAt ? { startedAt: str(update.StartedAt) } : {}),
            },
          }
        : {}),
    };
  } else serviceError = why('service');

  // Task history pruned between `service ps` and `inspect` ("No such task") still prints the others: read them.
  const rawTasks = sec.tasks?.text.trim().startsWith('[')
    ? ((json(sec.tasks, 'docker inspect --type task') ?? []) as any[])
    : [];
  const tasks: IntentTask[] = rawTasks.map((t) => {
    const err = str(t.Status?.Err);
    const cid = str(t.Status?.ContainerStatus?.ContainerID);
    return {
      id: str(t.ID),
      ...(t.Slot !== undefined ? { slot: Number(t.Slot) } : {}),
      nodeId: str(t.NodeID),
      node: hostOf.get(str(t.NodeID)) ?? '',
      desiredState: str(t.DesiredState),
      state: str(t.Status?.State),
      message: str(t.Status?.Message),
      ...(err ? { error: err } : {}),
      ...(cid ? { containerId: cid } : {}),
    };
  });

  // `/info` from the API, `.Swarm` alone from the CLI.
  const info = sec.swarm?.rc === 0 ? json(sec.swarm, 'docker info .Swarm') : undefined;
  const sw = info?.Swarm ?? info;
  const dpp = Number(sw?.Cluster?.DataPathPort);

  let overlay: IntentNetwork | undefined;
  let overlayError: string | undefined;
  if (sec.overlay?.rc === 0) {
    const n = first(json(sec.overlay, 'docker network inspect'));
    overlay = {
      id: str(n?.Id),
      name: str(n?.Name),
      driver: str(n?.Driver),
      scope: str(n?.Scope),
      subnets: ((n?.IPAM?.Config ?? []) as any[]).map((c) => str(c.Subnet)).filter(Boolean),
    };
  } else overlayError = why('overlay');

  return {
    fromNode,
    readAt,
    nodes,
    // 0 means "not set" in older daemons' answers; the VXLAN default then applies.
    swarm: Number.isInteger(dpp) && dpp > 0 ? { dataPathPort: dpp } : {},
    ...(service ? { service } : {}),
    ...(serviceError !== undefined ? { serviceError } : {}),
    tasks,
    ...(overlay ? { overlay } : {}),
    ...(overlayError !== undefined ? { overlayError } : {}),
  };
}

/**
 * Read the intent facts from the first node that answers as a manager (lab managers first).
 * One `exec` per manager tried; a worker answers "This node is not a swarm manager".
 */
export async function readIntentFacts(
  pool: SshPool,
  props: { readonly managers: readonly string[]; readonly service: string; readonly overlay: string },
): Promise<IntentFacts> {
  const errors: string[] = [];
  for (const node of props.managers) {
    // Loaded TCG labs answer docker commands slowly; the script runs them side by side but may still take a while.
    const r = await pool.exec(node, intentCommand(props.service, props.overlay), { check: false, timeoutMs: 180000 });
    if (/^### rc nodes 0$/m.test(r.stdout))
      return parseIntentOutput(r.stdout, node, new Date().toISOString(), r.stderr);
    errors.push(`${node}: ${(r.stderr.trim().split('\n').pop() ?? '') || `exit ${r.code}`}`);
  }
  throw new SwarmLabError(EXIT.env, `intent: no manager answered docker node inspect (${errors.join('; ')})`, {
    fix: 'check that the lab file names a node that is a swarm manager and dockerd runs there',
  });
}
