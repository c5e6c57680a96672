/**
 * A lab in flux is named, not judged: the flux logic on a state recorded from a real, loaded bookworm
 * lab while its tasks were starting (test/fixtures/intent/debian12-docker20/flux/01-converging.*), on
 * hand-made task states, the bounded wait ("still converging after N s", EXIT.inconclusive), and the
 * one retry when a namespace vanishes mid-round.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../../../lib/exit';
import { fluxOf, settle, steadyRound, vanishedWhat } from '../../../verify/converge';
import { parseIntentOutput, type IntentFacts } from '../../../verify/discover-intent';
import { RemoteCommandError } from '../../../verify/ssh';

const DIR = path.resolve(__dirname, '../../fixtures/intent/debian12-docker20/flux');
const read = (f: string) => fs.readFileSync(path.join(DIR, f), 'utf8');
/** Recorded on a real, loaded bookworm lab while its tasks were still starting (01-converging.ps.txt: docker service ps then). */
const recorded = parseIntentOutput(
  read('01-converging.out'),
  'node-10',
  '2026-12-01T14:44:00Z',
  read('01-converging.err'),
);

/** A fake clock: `sleep` advances it. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

/**
 * Hand-made steady facts for the retry logic (labelled as such): the recorded nodes and overlay, a
 * 3-replica service with one running task per node.
 */
function steadyFacts(): IntentFacts {
  const ids = ['n10', 'n18', 'n22'];
  return {
    ...recorded,
    nodes: recorded.nodes.map((n, i) => ({ ...n, id: ids[i], state: 'ready' })),
    service: {
      id: 's',
      name: 'my-nginx',
      mode: 'replicated',
      replicas: 3,
      ports: [],
      endpointMode: 'vip',
      networks: [],
    },
    tasks: ids.map((id, i) => ({
      id: `t${i}`.padEnd(25, '0'),
      slot: i + 1,
      nodeId: id,
      node: recorded.nodes[i].hostname,
      desiredState: 'running',
      state: 'running',
      message: 'started',
    })),
  };
}

test('the recorded state of a lab still starting its tasks is converging, with the reason named', () => {
  const f = fluxOf(recorded);
  expect(f.converging).toBe(true);
  expect(f.reasons[0]).toMatch(/^service unreadable: .*DeadlineExceeded/);
  expect(fluxOf(steadyFacts()).converging).toBe(false);
});

test('tasks not yet running or not yet stopped, and too few scheduled, are converging', () => {
  const s = steadyFacts();
  const starting = { ...s, tasks: s.tasks.map((t, i) => (i === 1 ? { ...t, state: 'starting' } : t)) };
  expect(fluxOf(starting)).toMatchObject({ converging: true, progress: '2/3 running' });
  expect(fluxOf(starting).reasons[0]).toMatch(/^task my-nginx\.2 \(t1\S* on node-18\) starting$/);
  const stopping = {
    ...s,
    tasks: [...s.tasks, { ...s.tasks[0], id: 'old', desiredState: 'shutdown', state: 'running' }],
  };
  expect(fluxOf(stopping).reasons).toEqual(['task my-nginx.1 (old on node-10) still running, desired shutdown']);
  const updating = { ...s, service: { ...s.service!, update: { state: 'updating', message: 'update in progress' } } };
  expect(fluxOf(updating).reasons).toEqual(['update updating (update in progress)']);
  expect(fluxOf({ ...s, tasks: s.tasks.slice(0, 2) }).reasons).toEqual(['2 task(s) scheduled for 3 replica(s)']);
});

test('settle waits with progress lines, then judges the steady state', async () => {
  const seq = [recorded, recorded, steadyFacts()];
  let i = 0;
  const lines: string[] = [];
  const r = await settle(async () => seq[Math.min(i++, 2)], {
    timeoutS: 600,
    log: (_n, step, d) => lines.push(`${step} ${d}`),
    ...clock(),
  });
  expect(r.waitedS).toBe(6);
  expect(lines[0]).toMatch(
    /^converge the service converging \(service unreadable; service unreadable: .*\); waiting 0\/600 s$/,
  );
  expect(lines[lines.length - 1]).toBe('converge my-nginx steady after 6 s (3/3 running)');
});

test('a service that keeps converging past the bound is "still converging after N s" (could not judge)', async () => {
  const err = (await settle(async () => recorded, { timeoutS: 12, log: () => undefined, ...clock() }).catch(
    (e: unknown) => e,
  )) as SwarmLabError;
  expect(err).toBeInstanceOf(SwarmLabError);
  expect(err.exitCode).toBe(EXIT.inconclusive);
  expect(err.message).toMatch(
    /still converging after 12 s \(service unreadable\): service unreadable: .*DeadlineExceeded/,
  );
});

describe('a namespace or container that vanishes mid-round', () => {
  // What verify saw on a live bookworm lab during a rolling update (issue 14).
  const nsGone = () =>
    new RemoteCommandError(
      'node-18',
      '10.211.55.18',
      'nsenter --net=/var/run/docker/netns/5b1c0f7e8a3d iptables-save',
      1,
      '',
      "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument\n",
      'exited 1',
    );

  test('the nsenter error is recognised and names the namespace', () => {
    expect(vanishedWhat(nsGone().message)).toBe('namespace /var/run/docker/netns/5b1c0f7e8a3d');
    expect(vanishedWhat('Error: No such object: 3d9adf60d6e1aa')).toBe('object 3d9adf60d6e1');
    expect(vanishedWhat('iptables-save: command not found')).toBeUndefined();
  });

  test('the round starts beside the first read; the read after it starts when its traffic is done', async () => {
    const events: string[] = [];
    const r = await steadyRound(
      async (trafficDone) => {
        events.push('round');
        await new Promise((res) => setTimeout(res, 20));
        events.push('traffic');
        trafficDone();
        trafficDone(); // a second call reads nothing more
        await new Promise((res) => setTimeout(res, 20));
        events.push('collected');
        return 'round';
      },
      {
        read: async () => {
          events.push('read');
          return steadyFacts();
        },
        timeoutS: 10,
        log: () => undefined,
        ...clock(),
      },
    );
    expect(r.round).toBe('round');
    expect(events).toEqual(['round', 'read', 'traffic', 'read', 'collected']);
  });

  test('a round started while the service was still converging is dropped and run again once it is steady', async () => {
    const reads = [recorded, steadyFacts(), steadyFacts()];
    let i = 0;
    let runs = 0;
    const r = await steadyRound(async () => `round ${++runs}`, {
      read: async () => reads[Math.min(i++, 2)],
      timeoutS: 60,
      log: () => undefined,
      ...clock(),
    });
    expect(runs).toBe(2);
    expect(r.round).toBe('round 2');
  });

  test('retried once: the second round is judged', async () => {
    let runs = 0;
    const lines: string[] = [];
    const r = await steadyRound(
      async () => {
        if (++runs === 1) throw nsGone();
        return 'round';
      },
      { read: async () => steadyFacts(), timeoutS: 10, log: (_n, s, d) => lines.push(`${s} ${d}`), ...clock() },
    );
    expect(runs).toBe(2);
    expect(r.round).toBe('round');
    expect(r.retried).toMatch(/^namespace \/var\/run\/docker\/netns\/5b1c0f7e8a3d on node-18 disappeared mid-round/);
    expect(lines).toContainEqual(expect.stringMatching(/waiting for the service and retrying once$/));
  });

  test('vanishing twice is named in one line, could not judge, never the raw hop failure', async () => {
    const err = (await steadyRound(
      async () => {
        throw nsGone();
      },
      { read: async () => steadyFacts(), timeoutS: 10, log: () => undefined, ...clock() },
    ).catch((e: unknown) => e)) as SwarmLabError;
    expect(err.exitCode).toBe(EXIT.inconclusive);
    expect(err.line().split('\n')).toHaveLength(1);
    expect(err.message).toMatch(
      /^namespace \/var\/run\/docker\/netns\/5b1c0f7e8a3d on node-18 disappeared mid-round \(.+\), again after one retry; the service is still changing$/,
    );
  });

  test('a task replaced during the round (running task ids differ) is retried once', async () => {
    const a = steadyFacts();
    const k = a.tasks.findIndex((t) => t.desiredState === 'running' && t.state === 'running');
    const b: IntentFacts = { ...a, tasks: a.tasks.map((t, i) => (i === k ? { ...t, id: 'x'.repeat(25) } : t)) };
    const reads = [a, b, a, a];
    let i = 0;
    let runs = 0;
    const r = await steadyRound(async () => ++runs, {
      read: async () => reads[i++],
      timeoutS: 10,
      log: () => undefined,
      ...clock(),
    });
    expect(runs).toBe(2);
    expect(r.retried).toMatch(/^the service changed during the round/);
  });

  test('any failure while a task was replaced under the round is retried once', async () => {
    const a = steadyFacts();
    const k = a.tasks.findIndex((t) => t.desiredState === 'running' && t.state === 'running');
    const b: IntentFacts = { ...a, tasks: a.tasks.map((t, i) => (i === k ? { ...t, id: 'y'.repeat(25) } : t)) };
    const reads = [a, b, b, b];
    let i = 0;
    let runs = 0;
    const r = await steadyRound(
      async () => {
        if (++runs === 1)
          throw new Error('node-18: task: container 3d9adf60d6e1 has no interface with its ingress address');
        return runs;
      },
      { read: async () => reads[i++], timeoutS: 10, log: () => undefined, ...clock() },
    );
    expect(runs).toBe(2);
    expect(r.retried).toMatch(/^a task disappeared mid-round \(node-18: task: container 3d9adf60d6e1/);
  });

  test('an error that is not a vanished namespace, on a steady service, is not retried', async () => {
    let runs = 0;
    await expect(
      steadyRound(
        async () => {
          runs++;
          throw new Error('node-10: docker: the Docker daemon is not running');
        },
        { read: async () => steadyFacts(), timeoutS: 10, log: () => undefined, ...clock() },
      ),
    ).rejects.toThrow('daemon is not running');
    expect(runs).toBe(1);
  });
});

test('the second recorded state (tasks assigned/starting, old ones not yet stopped) is converging: verify waits instead of judging', () => {
  const f = parseIntentOutput(read('02-converging.out'), 'node-10', '2026-12-01T14:48:00Z', read('02-converging.err'));
  const flux = fluxOf(f);
  expect(flux).toMatchObject({ converging: true, progress: '0/3 running' });
  expect(flux.reasons[0]).toMatch(/^task my-nginx\.1 \(\w+ on node-22\) assigned$/);
  expect(flux.reasons[flux.reasons.length - 1]).toBe('1 task(s) scheduled for 3 replica(s)');
});
