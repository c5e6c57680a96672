/**
 * Self-contained HTML page (no external assets) for a workshop projector: verdict banner, a
 * ladder diagram per request class (lanes = node/namespace, one dot per hop, coloured by
 * verdict) and per-hop packet lines.
 */
import type { HopStatus, HopVerdict, RequestVerdict, RoundVerdict } from '../engine/types';
import { MARK, causeLine, escapeXml as e, pathTime, pathWord, pointLabel, requestClasses, verdictWord } from './common';
import { intentHtml } from './intent';

const COLOR: Record<HopStatus, string> = {
  ok: '#1a7f37',
  missing: '#cf222e',
  wrong: '#bc4c00',
  'not captured': '#8c959f',
};

function lane(h: HopVerdict): string {
  return `${h.role} ${h.ns}`;
}

function diagram(r: RequestVerdict): string {
  const order = [
    'entry client',
    'entry host',
    'entry sbox',
    'entry overlay',
    'entry task',
    'serving host',
    'serving overlay',
    'serving task',
  ];
  const lanes = order.filter((l) => r.hops.some((h) => lane(h) === l));
  const names: Record<string, string> = {};
  for (const h of r.hops) if (h.point) names[lane(h)] = `${h.point.node} ${h.point.ns}`;
  names['entry client'] = 'client';
  const dx = 46;
  const left = 190;
  const laneH = 46;
  const w = left + r.hops.length * dx + 20;
  const hgt = lanes.length * laneH + 30;
  const pos = r.hops.map((h, i) => ({
    h,
    x: left + i * dx + dx / 2,
    y: 20 + lanes.indexOf(lane(h)) * laneH + laneH / 2,
  }));
  const parts: string[] = [];
  lanes.forEach((l, i) => {
    const y = 20 + i * laneH;
    parts.push(
      `<rect x="0" y="${y}" width="${w}" height="${laneH}" fill="${i % 2 ? '#f6f8fa' : '#ffffff'}"/>`,
      `<text x="8" y="${y + laneH / 2 + 5}" font-size="14" fill="#24292f">${e(names[l] ?? l)}</text>`,
    );
  });
  for (let i = 0; i + 1 < pos.length; i++) {
    const a = pos[i];
    const b = pos[i + 1];
    const reply = b.h.direction === 'reply';
    parts.push(
      `<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke="${reply ? '#8250df' : '#0969da'}" stroke-width="2" ${reply ? 'stroke-dasharray="5,3"' : ''}/>`,
    );
  }
  for (const p of pos) {
    const shape =
      p.h.kind === 'state'
        ? `<rect x="${p.x - 15}" y="${p.y - 15}" width="30" height="30" rx="5" fill="${COLOR[p.h.status]}"/>`
        : `<circle cx="${p.x}" cy="${p.y}" r="16" fill="${COLOR[p.h.status]}"/>`;
    parts.push(
      `<g><title>${e(`${p.h.step} ${p.h.title}: ${p.h.status}. ${p.h.explanation}`)}</title>${shape}<text x="${p.x}" y="${p.y + 5}" font-size="12" text-anchor="middle" fill="#fff" font-weight="bold">${e(p.h.step)}</text></g>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${hgt}" viewBox="0 0 ${w} ${hgt}" role="img" aria-label="hop diagram">${parts.join('')}</svg>`;
}

function hopRows(r: RequestVerdict): string {
  return r.hops
    .map((h) => {
      const detail = h.diffs.length ? h.diffs.join('; ') : h.seen;
      const pk = h.packets.length
        ? `<details><summary>${h.packets.length} packet line(s)</summary><pre>${e(h.packets.join('\n'))}</pre></details>`
        : '';
      return (
        `<tr class="s-${h.status.replace(' ', '-')}"><td>${e(h.step)}</td><td class="st" style="color:${COLOR[h.status]}">${MARK[h.status]} ${e(h.status)}</td>` +
        `<td>${e(h.title)}</td><td><code>${e(pointLabel(h))}</code></td><td>${e(h.expected)}</td><td>${e(detail)}${pk}</td></tr>`
      );
    })
    .join('\n');
}

export function renderHtml(v: RoundVerdict, pcaps: readonly string[] = []): string {
  const word = verdictWord(v);
  const banner = v.ok ? '#1a7f37' : v.exitCode === 2 ? '#8c959f' : '#cf222e';
  // One section per path: its verdict and time, then one diagram per request class of that path.
  const classes = v.paths
    .map(
      (p) =>
        `<section class="path"><h2>${p.ok ? '✓' : '✗'} Path ${e(p.id)}: ${e(p.title)} <small>${e(pathWord(p))} · ${e(pathTime(p))}</small></h2><p>${e(p.summary)}</p>` +
        requestClasses(p)
          .map((c) => {
            const r = c.requests[0];
            const served = c.requests.map((x) => `#${x.index}${x.ok ? ' ✓' : ' ✗'}`).join(', ');
            return `<h3>${e(c.name)}</h3><p>requests ${e(served)}</p><div class="diagram">${diagram(r)}</div>`;
          })
          .join('\n') +
        '</section>',
    )
    .join('\n');
  const reqs = v.requests
    .map(
      (r) =>
        `<section><h2>${r.ok ? '✓' : '✗'} ${e(r.path)} request ${r.index}: ${e(r.entryNode)} → ${e(r.servedNode ?? '?')} <small>(${e(r.variant ?? '?')}, client port ${r.clientPort ?? '?'}, ISN ${r.isn ?? '?'})</small></h2>` +
        (r.firstBroken
          ? `<div class="broken"><b>First broken hop ${e(r.firstBroken.hop)}</b>: ${e(r.firstBroken.title)}<ul>${r.firstBroken.causes.map((c) => `<li class="cause-${c.status.replace(' ', '-')}">${e(causeLine(c))}</li>`).join('')}</ul></div>`
          : '') +
        r.notes.map((n) => `<p class="note note-${n.kind}">${e(n.text)}</p>`).join('') +
        `<table><thead><tr><th>step</th><th>verdict</th><th>hop</th><th>capture point</th><th>expected</th><th>seen</th></tr></thead><tbody>${hopRows(r)}</tbody></table></section>`,
    )
    .join('\n');
  const state = v.state
    .map(
      (c) =>
        `<tr><td>${e(c.node)}</td><td>${e(c.title)}</td><td style="color:${COLOR[c.status]}">${MARK[c.status]} ${e(c.status)}</td><td>${e(c.expected)}</td><td>${e(c.seen)}</td></tr>`,
    )
    .join('\n');
  const files = pcaps.map((p) => `<li><a href="${e(p)}">${e(p)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>swarm-lab verify: ${e(word)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#24292f;background:#fff}
header{background:${banner};color:#fff;padding:18px 28px}header h1{margin:0;font-size:30px}header p{margin:6px 0 0;font-size:17px}
main{padding:10px 28px 40px}h2{font-size:20px;margin:26px 0 8px}small{font-weight:normal;color:#57606a}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border:1px solid #d0d7de;padding:5px 8px;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.st{white-space:nowrap;font-weight:600}pre{font-size:12px;white-space:pre-wrap;margin:4px 0}
.diagram{overflow-x:auto;border:1px solid #d0d7de;border-radius:6px}.broken{border-left:5px solid #cf222e;background:#fff1f0;padding:8px 12px;margin:8px 0}
.note{color:#9a6700}.legend span{display:inline-block;margin-right:16px}.legend i{display:inline-block;width:12px;height:12px;border-radius:6px;margin-right:5px;vertical-align:middle}
</style></head><body>
<header><h1>${e(word)} — ${e(v.paths.map((p) => p.id).join(', ') || 'no path')}</h1><p>${e(v.summary)}</p><p>engine ${e(v.engineVersion || '?')} · profile ${e(v.profile)} · exit code ${v.exitCode}${v.ok ? '' : ` · ${e(v.distribution.detail)}`}</p></header>
<main>
<p class="legend">${(Object.keys(COLOR) as HopStatus[]).map((s) => `<span><i style="background:${COLOR[s]}"></i>${e(s)}</span>`).join('')}<span>● packet seen at a capture point</span><span>■ state (rules, tables)</span><span style="color:#0969da">── request</span><span style="color:#8250df">- - reply</span></p>
${intentHtml(v)}
${classes}
${reqs}
<section><h2>State checks</h2><table><thead><tr><th>node</th><th>check</th><th>verdict</th><th>expected</th><th>seen</th></tr></thead><tbody>${state}</tbody></table></section>
${files ? `<section><h2>Captures</h2><ul>${files}</ul></section>` : ''}
</main></body></html>
`;
}
