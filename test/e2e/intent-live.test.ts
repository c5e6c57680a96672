/**
 * The live intent scenarios (e2e/intent-live.ts) derive from the lab: each breaks one side only
 * and names the intent check verify must fail; the edited lab file is still a valid lab.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scenarios } from '../../e2e/intent-live';
import { DEFAULT_LAB, resolveLab } from '../../stacks/lab';

test('one scenario per intent check, each with its undo, from the lab model', () => {
  const s = scenarios(DEFAULT_LAB);
  expect(s.map((x) => x.check)).toEqual(['intent.service.replicas', 'intent.service.ports', 'intent.engine.version']);
  expect(s[0].change).toBe('docker service scale -d my-nginx=2');
  expect(s[0].undo).toBe('docker service scale my-nginx=3');
  expect(s[1].change).toContain('--publish-rm published=9090,target=80 --publish-add published=9091,target=80');
  expect(s[1].undo).toContain('--publish-rm published=9091,target=80 --publish-add published=9090,target=80');
});

test.each(['debian12-docker20', 'debian13-docker26'])(
  'the lab-file scenario on %s names another dockerVersion and still loads',
  (image) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-intent-'));
    try {
      const lab = resolveLab({ context: { image }, env: {} });
      const edit = scenarios(lab)[2].labEdit!;
      const file = path.join(dir, 'lab.json');
      fs.writeFileSync(file, JSON.stringify(edit({ name: lab.name, image }, lab)));
      const edited = resolveLab({ file, env: {} });
      expect(edited.dockerVersion).not.toBe(lab.dockerVersion);
      expect(edited.name).toBe(lab.name);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
