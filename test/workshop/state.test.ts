import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT } from '../../lib/exit';
import {
  canMove,
  effectiveStatus,
  moveTo,
  readStatus,
  writeStatus,
  type LabStatus,
  type WorkshopPlan,
} from '../../workshop/state';
import { phaseProgress, renderStatus } from '../../workshop/status-view';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-ws-state-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const queued = (lab: string): LabStatus => ({
  lab,
  host: 'h1',
  phase: 'queued',
  since: '2026-12-01T16:00:00.000Z',
  timings: {},
});

describe('workshop state machine', () => {
  test('up: queued -> deploy -> client -> verify -> ready, each phase timed', () => {
    let s = queued('ws-1');
    writeStatus('ws', s, root);
    const at = (sec: number) => new Date(Date.parse('2026-12-01T16:00:00.000Z') + sec * 1000);
    s = moveTo('ws', s, 'deploy', { pid: 1 }, root, at(1));
    s = moveTo('ws', s, 'client', {}, root, at(601));
    s = moveTo('ws', s, 'verify', {}, root, at(602));
    moveTo('ws', s, 'ready', { verdict: 'PASS' }, root, at(700));
    expect(readStatus('ws', 'ws-1', root)).toEqual(
      expect.objectContaining({
        phase: 'ready',
        verdict: 'PASS',
        timings: { queued: 1, deploy: 600, client: 1, verify: 98 },
      }),
    );
  });

  test('a lab cannot skip phases: ready -> client is refused with the lab in wrong state', () => {
    const s = { ...queued('ws-2'), phase: 'ready' as const };
    expect(() => moveTo('ws', s, 'client', {}, root)).toThrow(
      expect.objectContaining({ exitCode: EXIT.state, message: 'lab ws-2 is ready; it cannot go to client' }),
    );
    expect(canMove('ready', 'reprovision')).toBe(true);
    expect(canMove('failed', 'destroy')).toBe(true);
    expect(canMove('down', 'deploy')).toBe(false);
    for (const p of ['queued', 'deploy', 'client', 'verify', 'ready', 'failed', 'reprovision', 'destroy'] as const)
      expect(canMove(p, 'down')).toBe(true);
  });

  test('a busy lab whose worker died reads as failed, naming the phase it died in', () => {
    const s: LabStatus = { ...queued('ws-3'), phase: 'deploy', pid: 999999 };
    expect(effectiveStatus(s, () => false)).toEqual(
      expect.objectContaining({
        phase: 'failed',
        error: { phase: 'deploy', message: 'worker pid 999999 ended during deploy' },
      }),
    );
    expect(effectiveStatus(s, () => true)).toBe(s);
  });
});

describe('workshop status view', () => {
  test('deploy progress from the last tofu run in the log: resources created of planned, then Ansible tasks', () => {
    const log =
      '$ old run\nPlan: 3 to add\nCreation complete after 1s\n$ npx cdktf deploy\nPlan: 19 to add, 0 to change\nx: Creation complete after 2s\ny: Creation complete after 3s\n';
    expect(phaseProgress('deploy', log)).toBe('2/19 resources');
    expect(phaseProgress('deploy', log + 'Running provisioner\nTASK [base : wait]\nTASK [docker : install]\n')).toBe(
      '2/19 resources, Ansible task 2',
    );
    expect(
      phaseProgress(
        'verify',
        '$ verify\n[+   1.2s] node-10        connect   ok\n[+  40.0s] *              engine    verdict PASS\n',
      ),
    ).toBe('engine (*)');
  });

  test('one line per lab: phase, clock, progress or error, last verify, up time', () => {
    const plan = {
      name: 'ws',
      hosts: [{ name: 'h1', netns: 'swl-ws-h1', capacity: { cpus: 2, availableMiB: 20000 } }],
      labs: [{ name: 'ws-1' }, { name: 'ws-2' }],
    } as unknown as WorkshopPlan;
    const now = Date.parse('2026-12-01T16:10:00.000Z');
    const text = renderStatus(
      plan,
      [
        {
          status: {
            lab: 'ws-1',
            host: 'h1',
            phase: 'ready',
            since: '2026-12-01T16:09:00.000Z',
            timings: { deploy: 600, client: 1, verify: 90 },
            verdict: 'PASS',
            verifiedAt: '2026-12-01T16:09:00.000Z',
          },
        },
        {
          status: {
            lab: 'ws-2',
            host: 'h1',
            phase: 'failed',
            since: '2026-12-01T16:05:00.000Z',
            timings: {},
            error: { phase: 'deploy', message: 'cdktf deploy exited 1' },
          },
        },
      ],
      now,
    );
    expect(text.split('\n')).toEqual([
      'workshop ws: 2 labs on h1 (netns swl-ws-h1, 2 CPU, 20000 MiB free at up)',
      'lab   host  phase   for    progress                       last verify        up took',
      'ws-1  h1    ready                                         PASS at 16:09:00Z  691s',
      'ws-2  h1    failed  5m00s  deploy: cdktf deploy exited 1',
    ]);
  });
});
