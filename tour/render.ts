/** The tour as terminal text (one step, or all of them) and as one static HTML page. */
import type { TourPath, TourStep } from './model';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderStepText(s: TourStep, live?: string): string {
  const head = `── ${s.path} ${s.index}/${s.of} · step ${s.step} · ${s.where} `;
  const out = [
    head.padEnd(100, '─'),
    `${s.title}   [${s.status}]`,
    s.explanation,
    '',
    s.runsOn === 'client' ? 'Look yourself (from the client, in the lab namespace):' : `Look yourself (on ${s.node}):`,
    `  ${s.command}`,
  ];
  if (s.evidence.length) {
    out.push(
      '',
      s.kind === 'packet' ? `Captured here in the round${s.pcap ? ` (${s.pcap})` : ''}:` : 'What verify read here:',
    );
    for (const e of s.evidence) out.push(`  ${e}`);
  } else if (s.kind === 'packet') out.push('', 'Captured here in the round: no matching packet');
  if (live !== undefined)
    out.push(
      '',
      'Live output now:',
      ...(live.trim()
        ? live
            .trimEnd()
            .split('\n')
            .map((l) => `  ${l}`)
        : ['  (nothing)']),
    );
  return out.join('\n');
}

export function renderPathHeader(p: TourPath): string {
  const req = p.request
    ? `following request ${p.request.index}: entry ${p.request.entry}${p.request.served ? `, served by ${p.request.served}` : ''}${p.request.variant ? ` (${p.request.variant})` : ''}`
    : 'not in this round (enable it in the lab file `paths` and verify again)';
  return [`== ${p.id}: ${p.title}${p.verdict ? ` [${p.verdict}]` : ''}`, p.description, req].join('\n');
}

export function renderAllText(paths: readonly TourPath[], live?: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  for (const p of paths) {
    out.push(renderPathHeader(p), '');
    for (const s of p.steps) out.push(renderStepText(s, live?.get(`${s.path}/${s.index}`)), '');
  }
  return out.join('\n');
}

const CSS =
  'body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}pre{background:#f4f4f4;padding:.5em;overflow-x:auto;white-space:pre-wrap}' +
  '.step{border:1px solid #ccc;border-radius:6px;padding:.2em 1em;margin:1em 0}.ok{color:#070}.missing,.wrong{color:#b00}.nav a{margin-right:1em}.where{color:#555}';

export function renderTourHtml(
  paths: readonly TourPath[],
  meta: { readonly source: string; readonly live?: ReadonlyMap<string, string> },
): string {
  const toc = paths.map(
    (p) =>
      `<li><a href="#${esc(p.id)}">${esc(p.id)}</a>: ${esc(p.title)} ${p.verdict ? `[${esc(p.verdict)}]` : '(not in this round)'}</li>`,
  );
  const sections = paths.map((p) => {
    const steps = p.steps.map((s, i) => {
      const id = `${p.id}-${s.index}`;
      const prev = i > 0 ? `<a href="#${esc(p.id)}-${s.index - 1}">&larr; previous</a>` : '';
      const next = i < p.steps.length - 1 ? `<a href="#${esc(p.id)}-${s.index + 1}">next &rarr;</a>` : '';
      const live = meta.live?.get(`${s.path}/${s.index}`);
      return `<div class="step" id="${esc(id)}"><h3>${s.index}/${s.of} · step ${esc(s.step)}: ${esc(s.title)} <span class="${esc(s.status)}">[${esc(s.status)}]</span></h3>
<p class="where">${esc(s.where)}</p><p>${esc(s.explanation)}</p>
<p>${s.runsOn === 'client' ? 'Look yourself (from the client, in the lab namespace):' : `Look yourself (on ${esc(s.node ?? '')}):`}</p><pre>${esc(s.command)}</pre>
${s.evidence.length ? `<p>${s.kind === 'packet' ? `Captured here${s.pcap ? ` (<a href="${esc(s.pcap)}">${esc(s.pcap)}</a>)` : ''}:` : 'What verify read here:'}</p><pre>${s.evidence.map(esc).join('\n')}</pre>` : s.kind === 'packet' ? '<p>No matching packet captured here.</p>' : ''}
${live !== undefined ? `<p>Live output:</p><pre>${esc(live.trimEnd() || '(nothing)')}</pre>` : ''}
<p class="nav">${prev}${next}</p></div>`;
    });
    const req = p.request
      ? `Following request ${p.request.index}: entry ${esc(p.request.entry)}${p.request.served ? `, served by ${esc(p.request.served)}` : ''}${p.request.variant ? ` (${esc(p.request.variant)})` : ''}.`
      : 'Not in this round: enable it in the lab file <code>paths</code> and verify again.';
    return `<h2 id="${esc(p.id)}">${esc(p.id)}: ${esc(p.title)}${p.verdict ? ` [${esc(p.verdict)}]` : ''}</h2><p>${esc(p.description)}</p><p>${req}</p>${steps.join('\n')}`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Packet path tour</title><style>${CSS}</style></head><body><h1>Packet path tour</h1><p>From ${esc(meta.source)}.</p><ul>${toc.join('')}</ul>${sections.join('\n')}</body></html>\n`;
}
