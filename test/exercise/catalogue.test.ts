import * as path from 'path';
import { spawnSync } from 'child_process';
import { EXERCISES, fill } from '../../exercise/catalogue';
import { readRoundFile } from '../../verify/cli';
import { ingress } from '../../verify/paths/ingress';

const ROOT = path.resolve(__dirname, '../..');

describe('exercise catalogue', () => {
  test('names are unique; each has a symptom, inject, undo, hints and the hop verify must blame', () => {
    expect(new Set(EXERCISES.map((e) => e.name)).size).toBe(EXERCISES.length);
    for (const e of EXERCISES) {
      expect(e.inject).not.toBe(e.undo);
      expect(e.hints.length).toBeGreaterThanOrEqual(2);
      // The symptom tells what the attendee sees, never the fault's word.
      expect(e.symptom).not.toMatch(/iptables|ipvs|sysctl|pause|vxlan|DROP/i);
    }
  });

  test('every blamed hop is a hop of the ingress path model (resolved on a real round, remote task)', () => {
    const t = readRoundFile(path.join(ROOT, 'test/fixtures/lab/debian12-docker20/round.json')).topology;
    const entry = t.nodes[0];
    const remote = t.service.tasks.find((x) => x.node !== entry.name)!;
    const ids = ingress.resolve({ topology: t, entry, target: remote }).map((h) => h.id);
    for (const e of EXERCISES) expect(ids).toContain(e.blames);
  });

  test('commands are filled from the lab: entry node, published port, VXLAN port, service', () => {
    const v = { entry: 'node-10', port: 9090, vxlanPort: 4789, service: 'my-nginx' };
    const byName = Object.fromEntries(EXERCISES.map((e) => [e.name, e]));
    expect(fill(byName['forward-drop'].inject, v)).toBe('iptables -I FORWARD 1 -p tcp --dport 9090 -j DROP');
    expect(fill(byName['vxlan-blocked'].undo, v)).toBe(
      'while iptables -D OUTPUT -p udp --dport 4789 -j DROP 2>/dev/null; do :; done',
    );
    expect(fill(byName['task-frozen'].symptom, v)).toBe(
      'one request in three to port 9090 connects but never gets a page.',
    );
    for (const e of EXERCISES)
      expect(fill(e.inject + e.undo + e.symptom + e.hints.join(' '), v)).not.toMatch(
        /\{(entry|port|vxlanPort|service)\}/,
      );
  });

  test('undo scripts parse as shell; undo after undo changes nothing (loops until the rule is gone, guards the saved file)', () => {
    const v = { entry: 'node-10', port: 9090, vxlanPort: 4789, service: 'my-nginx' };
    for (const e of EXERCISES) {
      for (const script of [e.inject, e.undo]) {
        const r = spawnSync('bash', ['-n'], { input: fill(script, v), encoding: 'utf8' });
        expect({ name: e.name, err: r.stderr }).toEqual({ name: e.name, err: '' });
      }
    }
  });
});

describe('npm run exercise: bad input is one line', () => {
  const run = (...a: string[]) =>
    spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'exercise/cli.ts', ...a], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SWARM_LAB_FILE: '', SWARM_LAB_NETNS: '' },
    });
  test('unknown command, missing lab, unknown exercise; list prints the catalogue', () => {
    const a = run('frob');
    expect([a.status, a.stderr]).toEqual([
      3,
      'swarm-lab exercise: unknown command frob; fix: npm run exercise -- --help\n',
    ]);
    const b = run('check');
    expect([b.status, b.stderr]).toEqual([
      3,
      'swarm-lab exercise: which lab? give --lab <workshop lab>, or SWARM_LAB_FILE and SWARM_LAB_NETNS; fix: e.g. --lab ws-1\n',
    ]);
    const c = run('start', 'nope', '--lab', 'nosuchlab');
    expect([c.status, c.stderr]).toEqual([
      3,
      'swarm-lab exercise: --lab nosuchlab: no workshop lab of that name; fix: npm run workshop -- status lists the labs; or set SWARM_LAB_FILE and SWARM_LAB_NETNS\n',
    ]);
    const l = run('list');
    expect(l.status).toBe(0);
    expect(l.stdout.split('\n').filter(Boolean)).toHaveLength(EXERCISES.length);
  });
});
