/** The trainer's status table: one line per lab, its phase with progress read from the phase's log. */
import * as fs from 'fs';
import * as path from 'path';
import { effectiveStatus, type LabStatus, type WorkshopPlan } from './state';

/** Progress inside a phase from its log: tofu's resources created, or verify's last step. */
export function phaseProgress(phase: string, log: string): string | undefined {
  // Only the last run of the command in the log (each run starts with a `$ ` line).
  const last = log.slice(log.lastIndexOf('\n$ ') + 1);
  if (phase === 'deploy' || phase === 'destroy') {
    const plan = /Plan: (\d+) to add/.exec(last);
    const done = (last.match(phase === 'deploy' ? /Creation complete after/g : /Destruction complete after/g) ?? [])
      .length;
    if (/Running provisioner|ansible-playbook|PLAY \[/.test(last) && phase === 'deploy') {
      const tasks = (last.match(/^TASK \[/gm) ?? []).length;
      return `${done}${plan ? `/${plan[1]}` : ''} resources, Ansible task ${tasks}`;
    }
    return plan || done ? `${done}${plan ? `/${plan[1]}` : ''} resources` : undefined;
  }
  if (phase === 'reprovision') return `Ansible task ${(last.match(/^TASK \[/gm) ?? []).length}`;
  if (phase === 'verify') {
    const steps = [...last.matchAll(/^\[\+\s*[\d.]+s\] (\S+)\s+(\S+)/gm)];
    const s = steps[steps.length - 1];
    return s ? `${s[2]} (${s[1]})` : undefined;
  }
  return undefined;
}

function secondsSince(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export interface StatusRow {
  readonly status: LabStatus;
  readonly progress?: string;
}

export function readRows(
  plan: WorkshopPlan,
  read: (lab: string) => LabStatus | undefined,
  dirOf: (lab: string) => string,
): StatusRow[] {
  return plan.labs.map((l) => {
    const s = effectiveStatus(
      read(l.name) ?? { lab: l.name, host: l.host, phase: 'queued', since: plan.createdAt, timings: {} },
    );
    let progress: string | undefined;
    try {
      progress = phaseProgress(s.phase, fs.readFileSync(path.join(dirOf(l.name), `${s.phase}.log`), 'utf8'));
    } catch {
      /* no log yet */
    }
    return { status: s, ...(progress ? { progress } : {}) };
  });
}

export function renderStatus(plan: WorkshopPlan, rows: readonly StatusRow[], now = Date.now()): string {
  const head = ['lab', 'host', 'phase', 'for', 'progress', 'last verify', 'up took'];
  const body = rows.map(({ status: s, progress }) => {
    const upTook = ['deploy', 'client', 'verify'].every((k) => s.timings[k] !== undefined)
      ? `${Math.round(s.timings.deploy + s.timings.client + s.timings.verify)}s`
      : '';
    return [
      s.lab,
      s.host,
      s.phase,
      s.phase === 'ready' || s.phase === 'down' ? '' : secondsSince(s.since, now),
      progress ?? (s.error ? `${s.error.phase}: ${s.error.message}`.slice(0, 100) : ''),
      s.verdict ? `${s.verdict}${s.verifiedAt ? ` at ${s.verifiedAt.slice(11, 19)}Z` : ''}` : '',
      upTook,
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(w[i]))
      .join('  ')
      .trimEnd();
  const hosts = plan.hosts.map(
    (h) => `${h.name} (netns ${h.netns}, ${h.capacity.cpus} CPU, ${h.capacity.availableMiB} MiB free at up)`,
  );
  return [`workshop ${plan.name}: ${plan.labs.length} labs on ${hosts.join(', ')}`, line(head), ...body.map(line)].join(
    '\n',
  );
}
