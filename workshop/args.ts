/** `npm run workshop -- <command>`: the option table (lib/cli) and the checks on its values. */
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, SwarmLabError } from '../lib/exit';
import { FLAVOURS as IMAGE_FLAVOURS } from '../e2e/images/flavours';
import { DEFAULT_CPU_RATIO } from './capacity';
import { checkHostName, checkWorkshopName, MAX_LABS } from './naming';

const FLAVOURS = IMAGE_FLAVOURS.map((f) => f.name);
export const COMMANDS = ['up', 'status', 'reset', 'verify', 'down', 'sheets'] as const;
export type Command = (typeof COMMANDS)[number];

export const WORKSHOP_CLI = {
  usage: 'npm run workshop --',
  summary:
    'Many isolated labs for a training day. up: measure each host, place the labs by capacity, bring them up in parallel\n' +
    "and verify each; status: each lab's phase; reset <lab>: back to healthy, others untouched; down: leave nothing;\n" +
    'verify [lab]: verify ready labs again; sheets: rewrite the attendee sheets and the trainer page.',
  positionals: '<up|status|reset <lab>|verify [lab]|down|sheets>',
  options: {
    name: {
      type: 'string',
      value: 'ws',
      help: 'workshop name, 1-8 chars a-z0-9 (default: the only workshop, else ws)',
    },
    labs: { type: 'string', value: 'n', help: `up: number of labs, 1-${MAX_LABS}` },
    hosts: {
      type: 'string',
      value: 'h1,h2',
      default: 'h1',
      help: 'up: simulated libvirt hosts (a private libvirtd each)',
    },
    flavour: { type: 'string', value: 'name', default: 'debian12-docker20', help: `up: ${FLAVOURS.join(', ')}` },
    parallel: {
      type: 'string',
      value: 'n',
      help: 'up: labs booting at once (default: one per two CPUs of each machine)',
    },
    'memory-mib': { type: 'string', value: 'MiB', default: '1536', help: 'up: memory per node' },
    'cpu-ratio': {
      type: 'string',
      value: 'r',
      default: String(DEFAULT_CPU_RATIO),
      help: 'up: vCPUs placed per host CPU',
    },
    json: { type: 'boolean', help: 'status: print the statuses as JSON' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

export interface WorkshopArgs {
  readonly command: Command;
  readonly name?: string;
  readonly lab?: string;
  readonly labs?: number;
  readonly hosts: readonly string[];
  readonly flavour: string;
  readonly parallel?: number;
  readonly memoryMiB: number;
  readonly cpuRatio: number;
  readonly json: boolean;
  readonly help?: string;
}

function int(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new SwarmLabError(EXIT.usage, `--${flag} ${v}: needs an integer ${min}-${max}`, { subject: `--${flag}` });
  return n;
}

export function parseWorkshopArgs(argv: readonly string[]): WorkshopArgs {
  const a = parseCli(WORKSHOP_CLI, argv);
  const v = a.values;
  const base = {
    hosts: [] as string[],
    flavour: v.flavour,
    memoryMiB: 0,
    cpuRatio: 0,
    json: v.json === true,
  };
  if (a.help) return { ...base, command: 'status', help: a.text };
  const [command, lab, ...extra] = a.positionals;
  if (!command)
    throw new SwarmLabError(EXIT.usage, `no command; use one of ${COMMANDS.join(', ')}`, {
      fix: 'npm run workshop -- --help',
    });
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new SwarmLabError(EXIT.usage, `unknown command ${command}; use one of ${COMMANDS.join(', ')}`, {
      fix: 'npm run workshop -- --help',
    });
  const cmd = command as Command;
  if (cmd === 'reset' && !lab)
    throw new SwarmLabError(EXIT.usage, 'reset needs the lab to reset, e.g. reset ws-2', {
      fix: 'npm run workshop -- status lists the labs',
    });
  if ((cmd !== 'reset' && cmd !== 'verify' && lab) || extra.length)
    throw new SwarmLabError(EXIT.usage, `${cmd}: unexpected argument ${[lab, ...extra].filter(Boolean).join(' ')}`);
  if (cmd !== 'up')
    for (const k of ['labs', 'parallel'] as const)
      if (v[k] !== undefined) throw new SwarmLabError(EXIT.usage, `--${k} belongs to up, not ${cmd}`);
  const name = v.name === undefined ? undefined : checkWorkshopName(v.name);
  if (cmd !== 'up') return { ...base, command: cmd, name, ...(lab ? { lab } : {}) };
  if (v.labs === undefined) throw new SwarmLabError(EXIT.usage, 'up needs --labs N', { fix: 'e.g. up --labs 2' });
  if (!FLAVOURS.includes(v.flavour))
    throw new SwarmLabError(EXIT.usage, `--flavour ${v.flavour} is unknown; use one of ${FLAVOURS.join(', ')}`);
  const hosts = v.hosts.split(',').map((h) => checkHostName(h.trim()));
  if (new Set(hosts).size !== hosts.length)
    throw new SwarmLabError(EXIT.usage, `--hosts ${v.hosts}: a host is named twice`);
  const ratio = Number(v['cpu-ratio']);
  if (!(ratio >= 1 && ratio <= 16))
    throw new SwarmLabError(EXIT.usage, `--cpu-ratio ${v['cpu-ratio']}: needs a number 1-16`);
  return {
    ...base,
    command: 'up',
    name,
    labs: int('labs', v.labs, 1, MAX_LABS),
    hosts,
    ...(v.parallel !== undefined ? { parallel: int('parallel', v.parallel, 1, MAX_LABS) } : {}),
    memoryMiB: int('memory-mib', v['memory-mib'], 512, 65536),
    cpuRatio: ratio,
  };
}

/** The per-lab worker that `up`, `reset` and `verify` spawn (workshop/worker.ts): what to do, to which lab. */
export const WORKER_VERBS = ['up', 'reset', 'verify'] as const;
export type WorkerVerb = (typeof WORKER_VERBS)[number];

export const WORKER_CLI = {
  usage: 'node -r ts-node/register/transpile-only workshop/worker.ts',
  summary:
    "One workshop lab's work in its own process (npm run workshop spawns it; its output goes to the lab's worker.log).\n" +
    'up: deploy, client address, verify; reset: re-provision and verify, recreate if not PASS; verify: verify only.',
  positionals: `<${WORKER_VERBS.join('|')}> <workshop> <lab>`,
  options: {},
} as const satisfies CliSpec<Record<string, CliOption>>;

export interface WorkerArgs {
  readonly verb: WorkerVerb;
  readonly ws: string;
  readonly lab: string;
}

/** `{ help }` for --help, else the verb, workshop and lab; anything else is one usage line (exit 3). */
export function parseWorkerArgs(argv: readonly string[]): WorkerArgs | { readonly help: string } {
  const a = parseCli(WORKER_CLI, argv);
  if (a.help) return { help: a.text };
  const [verb, ws, lab, ...extra] = a.positionals;
  const fix = `${WORKER_CLI.usage} --help`;
  if (!(WORKER_VERBS as readonly string[]).includes(verb ?? ''))
    throw new SwarmLabError(
      EXIT.usage,
      `${verb ? `unknown verb ${verb}` : 'no verb'}; use one of ${WORKER_VERBS.join(', ')}`,
      { fix },
    );
  if (!ws || !lab) throw new SwarmLabError(EXIT.usage, `${verb} needs <workshop> <lab>`, { fix });
  if (extra.length) throw new SwarmLabError(EXIT.usage, `${verb}: unexpected argument ${extra.join(' ')}`, { fix });
  return { verb: verb as WorkerVerb, ws, lab };
}
