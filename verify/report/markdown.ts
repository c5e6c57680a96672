/** Markdown report: the same hop tables as the terminal, per path, for a PR comment or a workshop handout. */
import type { RoundVerdict } from '../engine/types';
import { MARK, causeLine, pathTime, pathWord, pointLabel, verdictWord } from './common';
import { intentMarkdown } from './intent';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(v: RoundVerdict, pcaps: readonly string[] = []): string {
  const out: string[] = [
    `# swarm-lab verify: ${verdictWord(v)}`,
    '',
    v.summary,
    '',
    `- engine: ${v.engineVersion || '?'} (profile \`${v.profile}\`)`,
    `- exit code: ${v.exitCode}`,
    ...v.paths.map((p) => `- path \`${p.id}\`: ${pathWord(p)} in ${pathTime(p)} — ${cell(p.summary)}`),
  ];
  const skew = Object.entries(v.clockSkewMs);
  if (skew.length) out.push(`- clock offset vs entry node: ${skew.map(([n, ms]) => `${n} ${ms} ms`).join(', ')}`);
  out.push(...intentMarkdown(v)); // intent first (verify/report/intent.ts)
  if (v.firstBroken) {
    out.push(
      '',
      `## First broken hop: \`${v.firstBroken.hop}\` (path \`${v.firstBroken.path}\`)`,
      '',
      `${v.firstBroken.title}${v.firstBroken.request >= 0 ? ` (request ${v.firstBroken.request})` : ''}`,
      '',
      'Causes:',
      '',
    );
    for (const c of v.firstBroken.causes) out.push(`- ${cell(causeLine(c))}`);
  }
  for (const p of v.paths) {
    out.push('', `## Path \`${p.id}\`: ${p.title} — ${pathWord(p)} (${pathTime(p)})`, '', cell(p.summary));
    if (p.distribution) out.push('', `Distribution: ${p.distribution.detail}`);
    for (const r of p.requests) {
      out.push(
        '',
        `### ${r.ok ? '✓' : '✗'} Request ${r.index}: ${r.entryNode} -> ${r.servedNode ?? '?'} (${r.variant ?? '?'})`,
        '',
        `client port ${r.clientPort ?? '?'}, ISN ${r.isn ?? '?'}, TSval ${r.tsval ?? '?'}, task ${r.servedTask ?? '?'}${r.bodyNode ? `, body names ${r.bodyNode}` : ''}`,
        '',
        '| step | | hop | capture point | expected | seen |',
        '|---|---|---|---|---|---|',
      );
      for (const h of r.hops)
        out.push(
          `| ${h.step} | ${MARK[h.status]} ${h.status} | ${cell(h.title)} | ${cell(pointLabel(h))} | ${cell(h.expected)} | ${cell(h.diffs.length ? h.diffs.join('; ') : h.seen)} |`,
        );
      for (const n of r.notes) out.push('', `> ${cell(n.text)}`);
    }
  }
  out.push('', '## State checks', '', '| node | check | | expected | seen |', '|---|---|---|---|---|');
  for (const c of v.state)
    out.push(
      `| ${c.node} | ${cell(c.title)} | ${MARK[c.status]} ${c.status} | ${cell(c.expected)} | ${cell(c.seen)} |`,
    );
  if (pcaps.length) {
    out.push('', '## Captures', '');
    for (const p of pcaps) out.push(`- [${p}](${p})`);
  }
  out.push('');
  return out.join('\n');
}
