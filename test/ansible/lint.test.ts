/**
 * ansible-lint (Debian 12's 6.13) passes on ansible/ with the production profile set in
 * ansible/.ansible-lint: findings are fixed, not skipped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ANSIBLE_DIR, ansible, expectOk } from './ansible-run';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

test('ansible-lint passes with the production profile', () => {
  const r = ansible(['ansible-lint', '--nocolor'], {}, ANSIBLE_DIR);
  expectOk(r, 'ansible-lint (run in ansible/)');
  expect(r.stdout + r.stderr).toMatch(/Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
});

test('no lint rule is skipped, in the config or inline', () => {
  const skips = filesUnder(ANSIBLE_DIR)
    .filter((f) => /\.(ya?ml|j2)$|\.ansible-lint$/.test(f))
    .flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, where: `${path.relative(ANSIBLE_DIR, f)}:${i + 1}` }))
        .filter(({ line }) => /noqa|skip_list|warn_list|enable_list/.test(line)),
    )
    .map(({ where, line }) => `${where}: ${line.trim()}`);
  expect(skips).toEqual([]);
});
