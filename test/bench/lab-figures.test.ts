import * as fs from 'fs';
import * as path from 'path';
import {
  ansibleTasks,
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
    expect(tasks[0]).toEqual({ role: 'base', task: 'Wait until the node answers over SSH', seconds: 119.388 });
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
