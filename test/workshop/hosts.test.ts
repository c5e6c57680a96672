/**
 * Two simulated hosts for real (no VM is booted): each a private libvirtd in its own namespace, measured
 * through its own libvirtd, pooled as one machine by the placement, and `down` leaves nothing of them.
 * Needs root and the libvirt/QEMU Debian packages, like test/e2e/host.test.ts. ~30 s.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { hostDown, hostUp } from '../../e2e/host';
import { DEFAULT_CPU_RATIO, labDemand, measureHost, place } from '../../workshop/capacity';
import { hostKey } from '../../workshop/naming';
import {
  readStatus,
  ROOT,
  workshopDir,
  writePlan,
  writeStatus,
  type WorkshopHost,
  type WorkshopPlan,
} from '../../workshop/state';
import { downWorkshop, workshopLeftovers } from '../../workshop/teardown';

const WS = `t${process.pid % 100000}`;
const netns = () =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]);

afterAll(async () => {
  // A failed assertion must not leave the two libvirtds and namespaces behind (down is idempotent).
  for (const h of ['h1', 'h2']) await hostDown({ lab: hostKey(WS, h), root: ROOT, timeoutS: 120, purge: true });
  fs.rmSync(workshopDir(WS), { recursive: true, force: true });
  // down keeps each host's logs and QEMU capability cache (as e2e does); the test takes them too.
  for (const h of ['h1', 'h2'])
    fs.rmSync(path.join(ROOT, '.cache/host', hostKey(WS, h)), { recursive: true, force: true });
}, 300_000);

test('two simulated hosts: measured through their libvirtds, one machine budget, nothing left after down', async () => {
  const hosts: WorkshopHost[] = [];
  for (const h of ['h1', 'h2']) {
    const env = await hostUp({ lab: hostKey(WS, h), root: ROOT, timeoutS: 120 });
    hosts.push({ name: h, key: hostKey(WS, h), ...env, capacity: measureHost(h, env.libvirtUri, env.pool) });
  }
  expect(netns()).toEqual(expect.arrayContaining([`swl-${WS}-h1`, `swl-${WS}-h2`]));
  const [a, b] = hosts.map((h) => h.capacity);
  expect(a.machine).toBe(b.machine);
  expect(a.cpus).toBeGreaterThan(0);
  expect(a.availableMiB).toBeGreaterThan(0);
  expect(a.availableMiB).toBeLessThanOrEqual(a.memoryMiB);
  // As many labs as the machine takes once (not twice for two hosts on it): the next one is refused.
  const lab = (i: number) => labDemand(`${WS}-${i}`, 3, 1, 1536, 8);
  // Whichever binds first on this machine: memory (after the host reserve) or vCPUs (DEFAULT_CPU_RATIO per CPU).
  const byMemory = Math.floor((a.availableMiB - 2048) / lab(1).memoryMiB);
  const byCpu = Math.floor((a.cpus * DEFAULT_CPU_RATIO) / lab(1).vcpus);
  const fit = Math.max(0, Math.min(byMemory, byCpu));
  expect(() =>
    place(
      Array.from({ length: fit + 1 }, (_, i) => lab(i + 1)),
      [a, b],
    ),
  ).toThrow(new RegExp(`lab ${WS}-${fit + 1} does not fit`));
  const plan: WorkshopPlan = {
    name: WS,
    flavour: 'debian12-docker20',
    createdAt: new Date().toISOString(),
    hosts,
    labs: [{ name: `${WS}-1`, index: 1, host: 'h1' }],
    parallel: 1,
    rule: 'test',
  };
  writePlan(plan);
  writeStatus(WS, { lab: `${WS}-1`, host: 'h1', phase: 'ready', since: plan.createdAt, timings: {} });
  const said: string[] = [];
  expect(await downWorkshop(plan, (l) => said.push(l))).toEqual([]);
  expect(said).toEqual([
    `host h1: netns swl-${WS}-h1 and its libvirtd down`,
    `host h2: netns swl-${WS}-h2 and its libvirtd down`,
  ]);
  expect(netns()).not.toContain(`swl-${WS}-h1`);
  expect(workshopLeftovers(plan)).toEqual([]);
  expect(readStatus(WS, `${WS}-1`)?.phase).toBe('down');
}, 240_000);
