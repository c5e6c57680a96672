import * as fs from 'fs';
import * as path from 'path';
import { locateRun, readRun } from '../../bench/lab';
import {
  ansibleTasks,
  destroyTimes,
  limitingClause,
  tasksAfter,
  verifyBound,
  verifySteps,
  bootAnalysis,
  systemdSeconds,
  ansibleTotal,
  labFigures,
  renderFigures,
  secondsByRole,
  verifyPhases,
} from '../../bench/lab-figures';

const deploy = fs.readFileSync(path.join(__dirname, '../fixtures/bench/deploy-excerpt.txt'), 'utf8');

describe('bench:lab figures from a real e2e deploy log', () => {
  it('times each Ansible task by the profile_tasks stamp that follows it', () => {
    const tasks = ansibleTasks(deploy);
    // The first task of the real run waited 1:59.388 for SSH (TCG boot of three nodes at once).
    expect(tasks[0]).toEqual({
      role: 'base',
      task: 'Wait until the node answers over SSH',
      seconds: 119.388,
      endS: 119.421,
    });
    expect(tasks.every((t) => t.seconds >= 0)).toBe(true);
    const total = ansibleTotal(deploy)!;
    const sum = tasks.reduce((a, t) => a + t.seconds, 0);
    // Every second of the cumulative clock is attributed to a task (but the 0.033 s before the first).
    expect(Math.abs(total - 0.033 - sum)).toBeLessThan(0.01);
    expect(secondsByRole(tasks).map((r) => r.role)[0]).toBe('base');
  });

  it("reads verify's phase ends from its progress lines", () => {
    const log = [
      '[+   1.3s] node-10        connect   ssh ready as root (1318 ms)',
      '[+  22.5s] node-10        discover  docker 28.5.2+dfsg4, manager (21188 ms)',
      '[+  44.6s] node-22        snapshot  iptables/ipvs/fdb/1 task ns (7306 ms)',
      '[+  40.1s] node-18        snapshot  iptables/ipvs/fdb/1 task ns (7306 ms)',
    ].join('\n');
    expect(verifyPhases(log)).toEqual([
      { phase: 'connect', endS: 1.3 },
      { phase: 'discover', endS: 22.5 },
      { phase: 'snapshot', endS: 44.6 },
    ]);
  });

  it('states each goal as met or not from the run, and n/a where the run did not get there', () => {
    const f = labFigures(
      {
        flavour: 'debian12-docker20',
        image: 'debian12-docker20',
        engineVersion: '20.10.24',
        timings: { deploy: 494, 'lab-up': 494, reprovision: 113, verify: 20.5, destroy: 10.4 },
        nodeTimings: [
          { node: 'node-10', bootToSshdS: 69, sshdToDockerS: 11 },
          { node: 'node-22', bootToSshdS: 106, sshdToDockerS: 13 },
        ],
      },
      { deploy },
    );
    expect(f.slowestBootToDockerS).toBe(119);
    const g = Object.fromEntries(f.goals.map((x) => [x.id, x]));
    expect(g['lab-up-ratio']).toMatchObject({ value: 4.2, met: false });
    expect(g['boot-sshd']).toMatchObject({ value: 106, met: false });
    expect(g['destroy']).toMatchObject({ value: 10.4, met: true });
    const text = renderFigures(f);
    expect(text).toContain("lab-up / slowest node's boot->dockerd");
    expect(text).toMatch(/4\.2x\s+target <= 1\.5x\s+NOT met/);
    const partial = labFigures({ flavour: 'x', image: 'x', engineVersion: '1', timings: { deploy: 10 } }, {});
    expect(partial.goals.find((x) => x.id === 'verify')).not.toHaveProperty('met');
  });
});

describe("a guest's own boot analysis (boot-<node>.txt from the e2e timings phase)", () => {
  // Recorded from node-10 of a real bookworm lab (Docker 20.10.24) at load average 14 on this machine.
  const text = fs.readFileSync(path.join(__dirname, '../fixtures/bench/boot-node-10.txt'), 'utf8');

  it('reads systemd durations', () => {
    expect(systemdSeconds('2min 3.415s')).toBe(123.4);
    expect(systemdSeconds('950ms')).toBe(1);
    expect(systemdSeconds('no time')).toBeUndefined();
  });

  it('splits kernel and userspace time and names the costliest units first', () => {
    const b = bootAnalysis('node-10', text);
    expect(b).toMatchObject({ node: 'node-10', kernelS: 35.9, userspaceS: 338.6 });
    expect(b.blame[0]).toEqual({ unit: 'docker.service', seconds: 123.4 });
    expect(b.blame.map((x) => x.unit)).toContain('cloud-final.service');
    expect(b.blame.length).toBe(8);
    const f = labFigures(
      { flavour: 'debian12-docker20', image: 'debian12-docker20', engineVersion: '20.10.24', timings: {} },
      { boot: { 'node-10': text } },
    );
    expect(renderFigures(f)).toMatch(/node-10 +guest boot: kernel 35.9s \+ userspace 338.6s; docker.service 123.4s/);
  });
});

// A real bookworm run (Docker 20.10.24, all five paths) copied from its out dir: the logs as written,
// result.json trimmed to the fields the figures read (flavour, timings, nodeTimings).
const FINAL = path.join(__dirname, '../fixtures/bench/e2e-final');
// A real matrix run's record (one lab at a time on this 2-CPU machine) and one flavour's trimmed result.json.
const MATRIX = path.join(__dirname, '../fixtures/bench/matrix-2026-12-01-a');

function goalLine(text: string, what: string): { line: string; bound?: string } {
  const lines = text.split('\n');
  const goals = lines.indexOf('goals:');
  const i = lines.findIndex((l, n) => n > goals && l.trimStart().startsWith(what));
  const next = lines[i + 1] ?? '';
  return { line: lines[i], ...(next.startsWith('    bound: ') ? { bound: next.slice(11) } : {}) };
}

describe("what bounds each unmet goal, from the run's own artefacts (e2e-final, bookworm, Docker 20.10.24)", () => {
  const f = readRun(FINAL);
  const text = renderFigures(f);
  const verifyLog = fs.readFileSync(path.join(FINAL, 'verify.log'), 'utf8');

  it('splits verify into its steps as verify.log stamps them, the parts adding up to the last stamp', () => {
    const steps = Object.fromEntries(verifySteps(verifyLog).map((s) => [s.name, s.seconds]));
    // verify.log: discovery ends at 30.6 s, the snapshots at 49.2/50.6 s, captures listen by 65.4 s,
    // the engine judges at 89.0 s after the pcaps were collected at 79.2 s.
    expect(steps).toMatchObject({ discover: 31.6, snapshot: 18.9, capture: 16.9, engine: 9.8, traffic: 8.8 });
    const sum = Object.values(steps).reduce((a, s) => a + s, 0);
    expect(sum).toBeCloseTo(89.0, 0);
  });

  it('prints the verify bound with its largest steps and per-path traffic times', () => {
    const v = goalLine(text, 'verify ');
    expect(v.line).toMatch(/91\.4 s\s+target <= 15 s\s+NOT met/);
    expect(v.bound).toBe(
      'verify 91.4 s: discover 31.6 s, snapshot 18.9 s, capture 16.9 s, engine 9.8 s, traffic 8.8 s; ' +
        "outside verify's own clock 2.4 s; " +
        'path traffic: egress 11.7 s, service-vip 6.6 s, ingress 1.5 s, task-to-task 0.4 s, dns 0.1 s',
    );
  });

  it('bounds lab-up by the Ansible work after the slowest dockerd was up, naming its slowest tasks', () => {
    const b = goalLine(text, "lab-up / slowest node's boot->dockerd").bound!;
    // node-22: boot->sshd 97.1 s + sshd->dockerd 90.9 s; the playbook's clock ran 507.7 s of lab-up's 535.6 s.
    expect(b).toMatch(
      /^lab-up 535\.6 s, node-22's boot->dockerd 188 s; before the playbook 27\.9 s; Ansible deploy 507\.7 s, 319\.9 s of it after/,
    );
    expect(b).toContain("slowest after boot: service : List the service's tasks 123.8 s");
    // The SSH wait spans the boot: only its part after 188 s (none, it ended at 127 s) may count.
    const tasks = ansibleTasks(fs.readFileSync(path.join(FINAL, 'deploy.log'), 'utf8'));
    const after = tasksAfter(tasks, 188);
    expect(after.find((t) => t.task === 'Wait until the node answers over SSH')).toBeUndefined();
    const straddling = tasks.find((t) => t.endS > 188 && t.endS - t.seconds < 188)!;
    expect(after[0]).toMatchObject({ task: straddling.task, seconds: Math.round((straddling.endS - 188) * 10) / 10 });
  });

  it("bounds boot->sshd by the slowest guest's kernel and sshd's critical chain", () => {
    expect(goalLine(text, 'slowest boot->sshd').bound).toBe(
      "node-22 boot->sshd 97.1 s: guest kernel 17.4 s, then sshd's critical chain: " +
        'cloud-init-local.service 34.8 s, cloud-init.service 19.4 s, ssh.service 5.7 s',
    );
  });

  it('bounds the no-change re-provision by its slowest tasks and destroy by tofu per-resource times', () => {
    expect(goalLine(text, 'no-change re-provision').bound).toBe(
      'no-change re-provision 66.6 s: Ansible 62 s, slowest: base : Wait until the node answers over SSH 12.3 s, ' +
        'service : Create or update the service my-nginx 8.7 s, ' +
        'docker : Ask dockerd, the CLI and the Docker SDK for Python for their versions 8.4 s',
    );
    const destroy = fs.readFileSync(path.join(FINAL, 'destroy.log'), 'utf8');
    // "Destroy complete! Resources: 14 destroyed." - the run's own count.
    expect(destroyTimes(destroy)).toHaveLength(14);
    expect(goalLine(text, 'destroy ').bound).toMatch(
      /^destroy 20\.9 s: its 14 resources took 6 s at most \(slowest node-node-10\/domain 2 s, .*\), so >= 14\.9 s went outside/,
    );
  });

  it('says the matrix goal was not measured when the run is not part of a matrix, and keeps bounds in the JSON', () => {
    const m = goalLine(text, 'e2e matrix wall / sum');
    expect(m.line).toMatch(/n\/a\s+target <= 0\.6x\s+not measured in this run/);
    expect(m.bound).toBeUndefined();
    const json = JSON.parse(JSON.stringify(f)) as typeof f;
    expect(json.goals.find((g) => g.id === 'verify')?.bound).toMatch(/^verify 91\.4 s: discover 31\.6 s/);
    expect(json.goals.find((g) => g.id === 'matrix-parallel')).not.toHaveProperty('value');
  });
});

describe('the verify bound of an ingress-only run (e2e-speed1, bookworm, Docker 20.10.24)', () => {
  const log = fs.readFileSync(path.join(__dirname, '../fixtures/bench/e2e-speed1/verify.log'), 'utf8');

  it('names its steps as verify.log stamps them and only the path it ran', () => {
    // verify.log: connect by 2.7 s, discovery by 19.8 s, snapshots by 29.2 s, the engine at 40.4 s;
    // the e2e phase measured 43.4 s in all.
    expect(verifyBound(43.4, log)).toBe(
      'verify 43.4 s: discover 17.1 s, snapshot 9.4 s, capture 6.8 s, connect 2.6 s, engine 1.7 s; ' +
        "outside verify's own clock 3 s; path traffic: ingress 1.3 s",
    );
  });
});

describe('the matrix goal from matrix-run.json (matrix-2026-12-01-a: 7 flavours, one lab at a time)', () => {
  it('finds the record from the matrix dir, from a flavour dir in it, or from --matrix', () => {
    expect(locateRun(MATRIX, 'debian12-docker20')).toMatchObject({
      dir: path.join(MATRIX, 'debian12-docker20'),
      matrix: { jobs: 1, wallS: 4815.1 },
    });
    expect(locateRun(path.join(MATRIX, 'debian12-docker20'), 'x').matrix?.runs).toHaveLength(7);
    expect(locateRun(FINAL, 'x', MATRIX).matrix?.wallS).toBe(4815.1);
    expect(locateRun(FINAL, 'x').matrix).toBeUndefined();
    expect(() => locateRun(FINAL, 'x', FINAL)).toThrow(/--matrix .*no matrix run record/);
    expect(() => locateRun(MATRIX, 'debian13-docker26')).toThrow(/is a matrix dir without a debian13-docker26 run/);
  });

  it("reads wall/sum and bounds it by the capacity rule's own words", () => {
    const run = locateRun(MATRIX, 'debian12-docker20');
    const f = readRun(run.dir, run.matrix);
    const m = goalLine(renderFigures(f), 'e2e matrix wall / sum');
    // 4815.1 s wall over single runs summing to 4814.9 s: one after another.
    expect(m.line).toMatch(/1x\s+target <= 0\.6x\s+NOT met/);
    expect(m.bound).toBe(
      'one lab at a time: CPUs allow 1 (2 CPU(s), one TCG lab per two); wall 4815.1 s, the 7 single runs sum to 4814.9 s',
    );
  });

  it('a met goal prints no bound', () => {
    const run = locateRun(MATRIX, 'debian12-docker20');
    const text = renderFigures(readRun(run.dir, run.matrix));
    // This run's destroy took 12.5 s (target 15 s).
    expect(goalLine(text, 'destroy ')).toEqual({ line: expect.stringMatching(/12\.5 s\s+target <= 15 s\s+met$/) });
  });

  it('names the clause that limited the jobs, or the --jobs override', () => {
    const reason =
      '1 lab(s) at a time: memory fits 3 (23294 MiB available - 2048 kept, 5760 MiB per lab), CPUs allow 1 (2 CPU(s), one TCG lab per two)';
    expect(limitingClause(reason, 1)).toBe('CPUs allow 1 (2 CPU(s), one TCG lab per two)');
    expect(limitingClause(reason, 3)).toBe('memory fits 3 (23294 MiB available - 2048 kept, 5760 MiB per lab)');
    expect(limitingClause('--jobs 1; memory fits 3 (x), CPUs allow 1 (y)', 1)).toBe('--jobs 1');
  });
});
