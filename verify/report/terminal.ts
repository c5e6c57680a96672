/** The terminal view: per path its verdict and time, one hop table per request with ✓/✗, the verdict. */
import type { RoundVerdict } from '../engine/types';
import { MARK, causeLine, pathTime, pathWord, pointLabel, verdictWord } from './common';
import { intentTerminal } from './intent';

const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export function renderTerminal(v: RoundVerdict): string {
  const out: string[] = [];
  out.push(`swarm-lab verify: ${verdictWord(v)} — ${v.summary}`);
  out.push(`engine ${v.engineVersion || '?'} (profile ${v.profile}); exit code ${v.exitCode}`);
  out.push(...intentTerminal(v)); // intent first (verify/report/intent.ts)
  for (const p of v.paths) {
    out.push('');
    out.push(`path ${p.id}: ${pathWord(p)} in ${pathTime(p)} — ${p.summary}`);
    for (const r of p.requests) {
      out.push('');
      const served = r.servedNode
        ? `served by ${r.servedNode} (${r.servedTask}, ${r.variant})`
        : 'served by: not found';
      out.push(
        `${r.ok ? '✓' : '✗'} ${p.id} request ${r.index}: client:${r.clientPort ?? '?'} -> ${r.entryNode}, ${served}${r.isn !== undefined ? `, ISN ${r.isn}` : ''}${r.bodyNode ? `, body says ${r.bodyNode}` : ''}`,
      );
      for (const h of r.hops) {
        const status = `${MARK[h.status]} ${pad(h.status, 12)}`;
        const detail = h.status === 'ok' ? '' : h.diffs.length ? h.diffs.join('; ') : h.seen;
        out.push(
          `  ${pad(h.step, 4)} ${status} ${pad(cut(h.title, 58), 58)} ${pad(cut(pointLabel(h), 34), 34)} ${cut(detail, 110)}`.trimEnd(),
        );
      }
      for (const n of r.notes) out.push(`  note: ${n.text}`);
      if (r.firstBroken) {
        out.push(`  first broken hop: ${r.firstBroken.hop} — ${r.firstBroken.title}`);
        for (const c of r.firstBroken.causes) out.push(`    ${causeLine(c)}`);
      }
    }
    if (p.distribution) out.push(`distribution: ${p.distribution.detail}`);
  }
  const badState = v.state.filter((c) => c.status !== 'ok');
  out.push('');
  out.push(`state checks: ${v.state.length - badState.length}/${v.state.length} ok`);
  for (const c of badState)
    out.push(`  ${MARK[c.status]} ${c.node} ${c.title}: ${c.status}: ${c.seen} (expected ${c.expected})`);
  const skew = Object.entries(v.clockSkewMs);
  if (skew.length) out.push(`clock offset vs entry node: ${skew.map(([n, ms]) => `${n} ${ms} ms`).join(', ')}`);
  out.push(`paths: ${v.paths.map((p) => `${p.id} ${pathWord(p)} ${pathTime(p)}`).join(', ')}`);
  out.push(`verdict: ${verdictWord(v)} (exit ${v.exitCode})`);
  return out.join('\n');
}
