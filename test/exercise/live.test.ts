/**
 * Every exercise on a real lab: SWARM_LAB_LIVE=<workshop lab> (or SWARM_LAB_LIVE=env with SWARM_LAB_FILE and
 * SWARM_LAB_NETNS) runs them one after the other: start, verify must FAIL blaming the declared hop, solve,
 * verify must PASS. Skipped without a live lab. SWARM_LAB_LIVE_OUT=<file> keeps what each round said.
 */
import * as fs from 'fs';
import { EXERCISES } from '../../exercise/catalogue';
import { findLab } from '../../exercise/lab-access';
import { check, running, solve, start } from '../../exercise/run';

const LIVE = process.env.SWARM_LAB_LIVE;
const only = process.env.SWARM_LAB_LIVE_ONLY?.split(',');
const record: unknown[] = [];

(LIVE ? describe : describe.skip)(`every exercise on the live lab ${LIVE}`, () => {
  const c = LIVE ? findLab(LIVE === 'env' ? undefined : LIVE) : undefined;
  afterAll(() => {
    if (process.env.SWARM_LAB_LIVE_OUT)
      fs.writeFileSync(process.env.SWARM_LAB_LIVE_OUT, JSON.stringify(record, null, 2) + '\n');
  });

  test.each(EXERCISES.filter((e) => !only || only.includes(e.name)).map((e) => [e.name, e]))(
    '%s: verify blames the declared hop, solve returns the lab to PASS',
    async (_n, ex) => {
      const t0 = Date.now();
      if (running(c!)) solve(c!);
      start(c!, ex.name);
      let broken;
      try {
        broken = await check(c!, true);
      } finally {
        solve(c!);
      }
      const fixed = await check(c!);
      record.push({
        exercise: ex.name,
        declared: ex.blames,
        broken: broken.verdict,
        fixed: fixed.verdict,
        seconds: (Date.now() - t0) / 1000,
      });
      expect(broken.verdict?.verdict).toBe('FAIL');
      expect(broken.verdict?.hop).toBe(ex.blames);
      expect(broken.lines[0]).toBe('not solved yet: verify says FAIL');
      expect(fixed.verdict?.verdict).toBe('PASS');
      expect(fixed.lines[0]).toMatch(/^solved: verify proves the path again \(PASS\)/);
    },
    20 * 60_000,
  );
});
