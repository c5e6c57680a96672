/**
 * An SshPool that answers exec() from a recorded transcript (`npm run e2e` writes every command verify
 * ran and what the node answered): the nodes' real output, nothing invented.
 *
 * Rounds recorded before discovery combined its commands hold the single commands only. A combined
 * command that is not in the transcript is answered from the recorded single ones, by the CLI's and
 * the shell's own rules (each derivation below names them); anything else answers "not recorded".
 * Rounds recorded later hold the combined commands themselves and are answered as recorded.
 */
import type { TranscriptEntry } from '../../verify/cli';
import { batchParts, formatBatchOutput, splitBatch } from '../../verify/batch';
import { DOCKER_INFO_COMMAND } from '../../verify/discover';
import { cliOf } from '../../verify/engine-api';
import type { ExecResult, SshPool } from '../../verify/ssh';

const SANDBOX_FORMAT = `docker inspect --format '{{.Id}} {{.NetworkSettings.SandboxKey}}' `;

export interface ReplayPool extends SshPool {
  /** Commands answered by derivation (not recorded as such), `<node>: <command>`. */
  readonly derived: readonly string[];
  /** Every exec, in order. */
  readonly ran: ReadonlyArray<{ readonly node: string; readonly command: string }>;
}

/**
 * Docker CLI processes an exec starts where curl can ask the Engine API: its own command, or each
 * part of a batch, that runs `docker` (an API read with its CLI fallback starts none).
 */
export function dockerProcesses(command: string): number {
  return (batchParts(command) ?? [command]).filter((c) => /^docker /.test(c)).length;
}

export function replayPool(transcript: readonly TranscriptEntry[], nodes: readonly string[]): ReplayPool {
  const answers = new Map<string, ExecResult>();
  for (const e of transcript)
    answers.set(`${e.node}\0${e.command}`, { stdout: e.stdout, stderr: e.stderr, code: e.code });
  const recorded = (node: string, command: string): ExecResult | undefined => answers.get(`${node}\0${command}`);
  const notRecorded = (node: string, command: string): ExecResult => ({
    stdout: '',
    stderr: `not in the transcript: ${node}: ${command}`,
    code: 127,
  });
  const derived: string[] = [];
  const ran: Array<{ node: string; command: string }> = [];

  /**
   * `docker info --format '{{json .}}'` from the three single reads it replaces: ServerVersion is the
   * string `docker version --format '{{.Server.Version}}'` printed (the daemon's one version), Swarm's
   * two fields what `{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}` printed, FirewallBackend
   * the JSON `{{json .FirewallBackend}}` printed, left out where that call failed or was never made
   * (a CLI older than the field has none in its JSON either). Only those fields: discovery reads no other.
   */
  const dockerInfo = (node: string): ExecResult | undefined => {
    const version = recorded(node, `docker version --format '{{.Server.Version}}'`);
    const swarm = recorded(node, `docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'`);
    if (!version || !swarm) return undefined;
    if (version.code !== 0) return { stdout: '', stderr: version.stderr, code: version.code };
    const [state, control] = swarm.stdout.trim().split(/\s+/);
    const fw = recorded(node, `docker info --format '{{json .FirewallBackend}}'`);
    const info = {
      ServerVersion: version.stdout.trim(),
      Swarm: { LocalNodeState: state, ControlAvailable: control === 'true' },
      ...(fw?.code === 0 ? { FirewallBackend: JSON.parse(fw.stdout) } : {}),
    };
    return { stdout: JSON.stringify(info) + '\n', stderr: '', code: 0 };
  };

  /**
   * `docker network inspect a b ...` from `docker network inspect a`, `... b`: the CLI prints one JSON
   * array of the networks it found, in the order asked, writes each lookup error on stderr and exits 1
   * when any failed.
   */
  const networkInspect = (node: string, names: readonly string[]): ExecResult | undefined => {
    const each = names.map((n) => recorded(node, `docker network inspect ${n}`));
    if (each.some((r) => !r)) return fromWiderInspect(node, names);
    const found = each.flatMap((r) => (r!.code === 0 ? (JSON.parse(r!.stdout) as unknown[]) : []));
    const errors = each.filter((r) => r!.code !== 0).map((r) => r!.stderr.trim());
    return {
      stdout: JSON.stringify(found, null, 4) + '\n',
      stderr: errors.length ? errors.join('\n') + '\n' : '',
      code: errors.length ? 1 : 0,
    };
  };

  /**
   * The same from a recorded inspect of more networks at once (rounds recorded since discovery asks
   * `ingress docker_gwbridge ol_network` in one call): its array kept to the networks asked, by Name,
   * in the order asked, with the stderr lines that name them.
   */
  const fromWiderInspect = (node: string, names: readonly string[]): ExecResult | undefined => {
    for (const e of transcript) {
      const m = /^docker network inspect ((?:[\w.-]+ )*[\w.-]+)$/.exec(e.command);
      if (e.node !== node || !m || !names.every((n) => m[1].split(' ').includes(n))) continue;
      const all = (e.stdout.trim() ? JSON.parse(e.stdout) : []) as Array<{ Name?: string }>;
      const found = names.flatMap((n) => all.filter((x) => x.Name === n));
      const errors = e.stderr.split('\n').filter((l) => l.trim() && names.some((n) => l.includes(n)));
      return {
        stdout: JSON.stringify(found, null, 4) + '\n',
        stderr: errors.length ? errors.join('\n') + '\n' : '',
        code: found.length === names.length ? 0 : 1,
      };
    }
    return undefined;
  };

  /**
   * `docker inspect --format '{{.Id}} {{.NetworkSettings.SandboxKey}}' id1 id2 ...`: one line per
   * container, in the order asked, each line as any recorded inspect with that format printed it on
   * this node (the old discovery inspected the same containers in other groupings).
   */
  const sandboxKeys = (node: string, ids: readonly string[]): ExecResult | undefined => {
    const lines = ids.map((id) => {
      for (const e of transcript)
        if (e.node === node && e.code === 0 && e.command.startsWith(SANDBOX_FORMAT) && e.command.includes(id)) {
          const l = e.stdout.split('\n').find((x) => x.startsWith(`${id} `));
          if (l) return l;
        }
      return undefined;
    });
    if (lines.some((l) => l === undefined)) return undefined;
    return { stdout: lines.join('\n') + '\n', stderr: '', code: 0 };
  };

  /** A single command from a recorded batch that ran it as one of its parts (its section of the output). */
  const fromBatch = (node: string, command: string): ExecResult | undefined => {
    for (const e of transcript) {
      if (e.node !== node) continue;
      const parts = batchParts(e.command);
      const i = parts?.indexOf(command) ?? -1;
      if (parts && i >= 0) return splitBatch(parts.length, e.stdout)[i];
    }
    return undefined;
  };

  const answer = (node: string, command: string): ExecResult | undefined => {
    const r = recorded(node, command) ?? fromBatch(node, command);
    if (r) return r;
    // An Engine API read with its CLI fallback (verify/engine-api.ts), recorded before verify asked the
    // API: what the node prints where curl cannot, the CLI's recorded answer.
    const cli = cliOf(command);
    if (cli) return answer(node, cli);
    if (command === DOCKER_INFO_COMMAND) return dockerInfo(node);
    const nets = /^docker network inspect ((?:[\w.-]+ )*[\w.-]+)$/.exec(command);
    if (nets) return networkInspect(node, nets[1].split(' '));
    if (command.startsWith(SANDBOX_FORMAT)) return sandboxKeys(node, command.slice(SANDBOX_FORMAT.length).split(' '));
    // A batch: what the shell prints for its parts, each answered as above (batch.ts formatBatchOutput).
    // Parts added to the reads after the recording answer "not recorded" inside the batch, as they did
    // when each was its own exec (best-effort reads are then absent); a batch of none recorded is not.
    const parts = batchParts(command);
    if (parts) {
      const each = parts.map((p) => answer(node, p));
      if (each.every((x) => !x)) return undefined;
      return {
        stdout: formatBatchOutput(each.map((x, i) => x ?? notRecorded(node, parts[i]))),
        stderr: '',
        code: 0,
      };
    }
    return undefined;
  };

  const pool = {
    nodes,
    user: 'root',
    derived,
    ran,
    exec(node: string, command: string): Promise<ExecResult> {
      ran.push({ node, command });
      const r = answer(node, command);
      if (r && !recorded(node, command)) derived.push(`${node}: ${command}`);
      // Commands added to the snapshot after the recording answer "not recorded"; the snapshot omits them.
      return Promise.resolve(r ?? notRecorded(node, command));
    },
    async all<T>(ns: readonly string[], fn: (n: string) => Promise<T>): Promise<T[]> {
      return Promise.all(ns.map(fn));
    },
  };
  return pool as unknown as ReplayPool;
}
