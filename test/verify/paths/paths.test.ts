/**
 * Paths as data: the registry, the ingress spec's shape, the capture plan derived from the hops,
 * and the task interface resolved from discovery (the sid lab where ingress is the task's eth2).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../../../lib/exit';
import { planCaptures } from '../../../verify/capture-plan';
import { readRoundFile } from '../../../verify/cli';
import { evaluate } from '../../../verify/engine';
import { pointKey } from '../../../verify/engine/captures';
import type { RoundData } from '../../../verify/model';
import { DEFAULT_PATHS, PATHS, selectPaths } from '../../../verify/paths';
import { ingress } from '../../../verify/paths/ingress';

const SID = path.resolve(__dirname, '../../fixtures/lab/debiansid-docker28/round.json');

test('the registry selects paths by id; an unknown id is a usage error naming the known ones', () => {
  expect(DEFAULT_PATHS).toEqual(['ingress']);
  expect(selectPaths().map((p) => p.id)).toEqual(['ingress']);
  expect(selectPaths(['ingress', ' ingress ']).map((p) => p.id)).toEqual(['ingress']);
  let err: unknown;
  try {
    selectPaths(['ingress', 'nope']);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SwarmLabError);
  expect((err as SwarmLabError).exitCode).toBe(EXIT.usage);
  expect((err as SwarmLabError).line()).toMatch(/unknown path nope; fix: choose from ingress/);
  expect(new Set(PATHS.map((p) => p.id)).size).toBe(PATHS.length);
});

describe('ingress spec on the sid topology', () => {
  const round = readRoundFile(SID);
  const t = round.topology;
  const entry = t.nodes[0];
  test.each(t.service.tasks.map((x) => [x.node, x] as const))('task on %s: every hop is complete data', (_n, task) => {
    const hops = ingress.resolve({ topology: t, entry, target: task });
    expect(new Set(hops.map((h) => h.id)).size).toBe(hops.length);
    expect(hops.length).toBe(ingress.variantOf(entry, task) === 'remote' ? 29 : 17);
    for (const h of hops) {
      expect(h.explanation).toMatch(/^\S.{20,}\.$/);
      if (h.kind === 'packet') {
        expect(h.point && h.filter && h.expect).toBeTruthy();
        expect(h.point?.ns).toBe(h.ns);
      }
      if (h.kind === 'state') expect(h.checks?.length).toBeGreaterThan(0);
    }
    // The task's points are where discovery found its ingress interface.
    expect(hops.filter((h) => h.ns === 'task' && h.point).every((h) => h.point?.iface === task.ingressIface)).toBe(
      true,
    );
  });
  test('the capture plan is exactly the packet hops of every (entry, task) pair, filters ORed per point', () => {
    // The ingress path alone (the recorded round also holds the client paths' user overlay).
    const plan = planCaptures(t, { paths: [ingress], entryNodes: [entry.name] });
    const fromHops = new Set(
      t.service.tasks.flatMap((task) =>
        ingress
          .resolve({ topology: t, entry, target: task })
          .filter((h) => h.kind === 'packet' && h.point)
          .map((h) => pointKey(h.point!)),
      ),
    );
    expect(new Set(plan.map((p) => pointKey(p)))).toEqual(fromHops);
    const nic = plan.find((p) => p.node === entry.name && p.ns === 'host');
    expect(nic?.filter).toBe(
      `(tcp port 9090 and host ${t.client.ip}) or (udp port 4789 and udp[39]=6 and (udp[50:2]=9090 or udp[52:2]=9090))`,
    );
    expect(nic?.hops).toEqual(
      expect.arrayContaining(['1-entry-host-in', '9-entry-host-vxlan-out', 'R14-entry-host-http-response']),
    );
    // ingress_sbox of nodes that get no request is not on the path.
    expect(plan.filter((p) => p.ns === 'sbox').map((p) => p.node)).toEqual([entry.name, entry.name]);
    expect(
      planCaptures(t, { paths: [ingress], entryNodes: [entry.name], sbox: false }).some((p) => p.ns === 'sbox'),
    ).toBe(false);
  });
});

/**
 * The sid round's ingress part with the tasks on other nodes than the entry attached to ingress as
 * eth2 (as measured live in an earlier sid run; the recorded one has its user overlay at eth2 instead).
 */
function sidWithEth2(dir: string): RoundData {
  const { userOverlay: _u, ...topology } = readRoundFile(SID).topology;
  const all = readRoundFile(SID);
  const round: RoundData = {
    ...all,
    topology,
    requests: all.requests.filter((r) => (r.path ?? 'ingress') === 'ingress'),
    captures: all.captures.filter((c) => ['host', 'sbox', 'overlay'].includes(c.ns) || c.iface === 'eth0'),
  };
  const entry = round.requests[0].entryNode;
  const moved = new Set(round.topology.service.tasks.filter((x) => x.node !== entry).map((x) => x.containerId));
  const captures = round.captures.map((c) => {
    if (c.ns !== 'task' || !c.containerId || ![...moved].some((id) => id.startsWith(c.containerId!.slice(0, 12))))
      return c;
    const file = path.join(dir, path.basename(c.file).replace('__task__eth0__', '__task__eth2__'));
    fs.copyFileSync(c.file, file);
    return { ...c, iface: 'eth2', file };
  });
  const tasks = round.topology.service.tasks.map((x) =>
    moved.has(x.containerId) ? { ...x, ingressIface: 'eth2' } : x,
  );
  return { ...round, captures, topology: { ...round.topology, service: { ...round.topology.service, tasks } } };
}

test('sid: a task whose ingress interface is eth2 is captured there and judged PASS (was INCONCLUSIVE: task/eth0 expected)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-eth2-'));
  try {
    const round = sidWithEth2(dir);
    const plan = planCaptures(round.topology, { paths: [ingress], entryNodes: [round.requests[0].entryNode] });
    expect(
      plan
        .filter((p) => p.ns === 'task')
        .map((p) => p.iface)
        .sort(),
    ).toEqual(['eth0', 'eth2', 'eth2']);
    const v = await evaluate(round, { paths: [ingress] });
    const notOk = v.requests.flatMap((r) => r.hops.filter((h) => h.status !== 'ok').map((h) => `${r.index}:${h.id}`));
    expect(notOk).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.exitCode).toBe(EXIT.ok);
    const taskHops = v.requests.flatMap((r) => r.hops.filter((h) => h.id === '11-serving-task-eth0'));
    expect(taskHops.filter((h) => h.point?.iface === 'eth2').length).toBeGreaterThan(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
