/**
 * GitHub Actions annotations from JUnit XML (the verify report's junit.xml, the matrix summary.xml):
 * one `::error` per failed testcase, one `::notice` with the counts per file, and the given markdown
 * files appended to the job summary ($GITHUB_STEP_SUMMARY). It reports, it does not judge: exit 0
 * unless an input cannot be read (the e2e step's own exit code is the verdict).
 *   node -r ts-node/register/transpile-only e2e/junit-annotate.ts <junit.xml>... [--summary report.md]...
 */
import * as fs from 'fs';
import { parse } from 'junit2json';
import type { TestSuites } from 'junit2json';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, SwarmLabError, runMain } from '../lib/exit';

// Workflow-command escaping (actions/toolkit core/command.ts): data escapes %, CR, LF; properties also : and ,.
const escData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escProp = (s: string): string => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** The workflow commands for one JUnit document; `label` names its file in titles. */
export async function annotations(xml: string, label: string): Promise<string[]> {
  const doc = (await parse(xml)) as TestSuites | undefined;
  const out: string[] = [];
  let tests = 0;
  let failed = 0;
  let skipped = 0;
  for (const s of doc?.testsuite ?? []) {
    for (const c of s.testcase ?? []) {
      tests++;
      if (c.skipped?.length) skipped++;
      const f = [...(c.failure ?? []), ...(c.error ?? [])][0];
      if (!f) continue;
      failed++;
      const title = `${s.name ?? label}: ${c.name ?? c.classname ?? 'testcase'}`;
      out.push(`::error title=${escProp(title)}::${escData(f.inner?.trim() || f.message || 'failed')}`);
    }
  }
  out.push(`::notice title=${escProp(label)}::${tests} tests, ${failed} failed, ${skipped} skipped`);
  return out;
}

const CLI = {
  usage: 'node -r ts-node/register/transpile-only e2e/junit-annotate.ts',
  summary: 'GitHub annotations from JUnit XML: ::error per failed testcase, ::notice with the counts.',
  positionals: '<junit.xml>...',
  options: {
    summary: { type: 'string', multiple: true, value: 'file.md', help: 'markdown appended to $GITHUB_STEP_SUMMARY' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

async function main(argv = process.argv.slice(2)): Promise<number> {
  const args = parseCli(CLI, argv);
  if (args.help || !args.positionals.length) {
    process.stdout.write(args.text);
    return args.help ? EXIT.ok : EXIT.usage;
  }
  const read = (f: string): string => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch (e) {
      throw new SwarmLabError(EXIT.env, `cannot read ${f}: ${(e as Error).message}`);
    }
  };
  for (const f of args.positionals) process.stdout.write((await annotations(read(f), f)).join('\n') + '\n');
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) for (const md of args.values.summary ?? []) fs.appendFileSync(summary, read(md) + '\n');
  return EXIT.ok;
}

if (require.main === module) runMain('junit-annotate', () => main());
