/**
 * Intent checks in every report format, always first (before any hop): one renderer per format,
 * each called by one line in terminal/markdown/html/junit. JSON carries `verdict.intent` first.
 */
import type { RoundVerdict } from '../engine/types';
import { intentLine, type IntentCheck } from '../intent';
import { escapeXml as e } from './common';
import type { JunitSuite } from './junit';

const checksOf = (v: RoundVerdict): readonly IntentCheck[] => v.intent ?? [];

/** Terminal: a count, then every failing check on its own line. */
export function intentTerminal(v: RoundVerdict): string[] {
  const c = checksOf(v);
  if (!c.length) return [];
  const bad = c.filter((x) => !x.ok);
  return [
    `intent checks (lab file vs swarm): ${c.length - bad.length}/${c.length} ok`,
    ...bad.map((x) => `  ${intentLine(x)}`),
  ];
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function intentMarkdown(v: RoundVerdict): string[] {
  const c = checksOf(v);
  if (!c.length) return [];
  return [
    '',
    '## Intent checks (lab file vs swarm)',
    '',
    '| check | | expected | seen |',
    '|---|---|---|---|',
    ...[...c]
      .sort((a, b) => +a.ok - +b.ok)
      .map(
        (x) =>
          `| \`${x.id}\` ${cell(x.title)} | ${x.ok ? '✓ ok' : '✗ wrong'} | ${cell(x.expected)} | ${cell(x.seen)} |`,
      ),
  ];
}

export function intentHtml(v: RoundVerdict): string {
  const c = checksOf(v);
  if (!c.length) return '';
  const rows = [...c]
    .sort((a, b) => +a.ok - +b.ok)
    .map(
      (x) =>
        `<tr><td><code>${e(x.id)}</code> ${e(x.title)}</td><td style="color:${x.ok ? '#1a7f37' : '#cf222e'}">${x.ok ? '✓ ok' : '✗ wrong'}</td><td>${e(x.expected)}</td><td>${e(x.seen)}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Intent checks (lab file vs swarm)</h2><table><thead><tr><th>check</th><th>verdict</th><th>expected</th><th>seen</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function intentJunit(v: RoundVerdict): JunitSuite[] {
  const c = checksOf(v);
  if (!c.length) return [];
  return [
    {
      name: 'intent checks',
      cases: c.map((x) => ({
        name: `${x.id}: ${x.title}`,
        classname: 'swarm-lab.intent',
        ...(x.ok ? { out: x.seen } : { failure: { type: 'intent', text: `expected ${x.expected}; seen ${x.seen}` } }),
      })),
    },
  ];
}
