/**
 * The attendee sheet of each lab (Markdown and HTML: how to reach the lab with the pinned known_hosts,
 * its addresses, the exercises) and the trainer page (every lab, its phase, its last verify verdict).
 * Written from the plan, the lab files and the statuses; rewritten whenever a lab's status changes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXERCISES } from '../exercise/catalogue';
import { imageOf, labPaths, resolveLab, type Lab } from '../stacks/lab';
import { bridgeName } from '../stacks/names';
import {
  effectiveStatus,
  labDir,
  labFilePath,
  readStatus,
  ROOT,
  workshopDir,
  type LabStatus,
  type WorkshopHost,
  type WorkshopPlan,
} from './state';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface SheetFacts {
  readonly lab: Lab;
  readonly host: WorkshopHost;
  readonly status?: LabStatus;
  readonly root: string;
}

/** The SSH command of one node: inside the host's namespace, the lab's key, host keys pinned. */
export function sshCommand(f: SheetFacts, ip: string): string {
  const p = labPaths(f.lab, f.root);
  return `sudo ip netns exec ${f.host.netns} ssh -i ${p.userKey} -o UserKnownHostsFile=${p.knownHosts} -o StrictHostKeyChecking=yes ${imageOf(f.lab).sshUser}@${ip}`;
}

/** The sheet as Markdown (the HTML is rendered from the same sections). */
export function sheetSections(f: SheetFacts): Array<{ title: string; lines: string[]; code?: string[] }> {
  const { lab, host, status } = f;
  const svc = lab.service;
  const entry = lab.nodes[0];
  return [
    {
      title: 'Your lab',
      lines: [
        `Lab **${lab.name}** on host ${host.name} (network namespace \`${host.netns}\`), Docker ${lab.dockerVersion} on ${lab.image}.`,
        `State: **${status?.phase ?? 'unknown'}**${status?.verdict ? `, last verify **${status.verdict}**${status.verifiedAt ? ` at ${status.verifiedAt}` : ''}` : ''}.`,
        'Every lab address lives only inside that namespace: run ssh, curl and tcpdump with `sudo ip netns exec ' +
          host.netns +
          '`.',
      ],
    },
    {
      title: 'Addresses',
      lines: [
        `Lab network \`${lab.network.name}\` ${lab.network.cidr} on bridge \`${bridgeName(lab)}\`, gateway ${lab.network.gateway}, your client address ${lab.network.clientIp}.`,
        ...lab.nodes.map((n) => `- ${n.name} ${n.ip} (${n.role})`),
        `Service \`${svc.name}\`: ${svc.replicas} replicas, published port ${svc.publishedPort} -> ${svc.targetPort} through the ingress routing mesh; overlay \`${svc.overlayNetwork}\` ${svc.overlaySubnet}; VXLAN UDP ${lab.dataPathPort}.`,
      ],
    },
    {
      title: 'Reach the lab',
      lines: ['SSH (the host keys are pinned in known_hosts; a changed key is refused):'],
      code: [
        ...lab.nodes.map((n) => sshCommand(f, n.ip)),
        `sudo ip netns exec ${host.netns} curl -s http://${entry.ip}:${svc.publishedPort}/`,
      ],
    },
    {
      title: 'Follow the packet',
      lines: [
        `\`npm run tour -- --lab ${lab.name}\` walks the ingress path hop by hop on your lab (the command to look yourself, its live output, the captured packet).`,
        status?.report
          ? `Last verify report: ${path.join(status.report, 'report.html')} (pcaps for Wireshark in ${path.join(status.report, 'pcaps')}).`
          : 'No verify report yet.',
      ],
    },
    {
      title: 'Exercises',
      lines: [
        'Each puts one realistic mistake on the data path. Find it, fix it, then check:',
        ...EXERCISES.map((e) => `- \`${e.name}\`: ${e.title}`),
      ],
      code: [
        `npm run exercise -- start <name> --lab ${lab.name}`,
        `npm run exercise -- hint --lab ${lab.name}`,
        `npm run exercise -- check --lab ${lab.name}`,
        `npm run exercise -- solve --lab ${lab.name}`,
      ],
    },
  ];
}

export function renderSheetMd(f: SheetFacts): string {
  const out = [`# Swarm lab ${f.lab.name}`, ''];
  for (const s of sheetSections(f)) {
    out.push(`## ${s.title}`, '', ...s.lines, '');
    if (s.code) out.push('```sh', ...s.code, '```', '');
  }
  return out.join('\n');
}

const CSS =
  'body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}pre{background:#f4f4f4;padding:.6em;overflow-x:auto}td,th{padding:.2em .8em;text-align:left}.PASS{color:#070}.FAIL{color:#b00}.INCONCLUSIVE{color:#a60}';
const md = (s: string): string =>
  esc(s)
    .replace(/\*\*(.+?)\*\*/g, '<b>$1</b>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');

export function renderSheetHtml(f: SheetFacts): string {
  const body = sheetSections(f).map((s) => {
    const items = s.lines.filter((l) => l.startsWith('- ')).map((l) => `<li>${md(l.slice(2))}</li>`);
    const paras = s.lines.filter((l) => !l.startsWith('- ')).map((l) => `<p>${md(l)}</p>`);
    return `<h2>${esc(s.title)}</h2>${paras.join('')}${items.length ? `<ul>${items.join('')}</ul>` : ''}${s.code ? `<pre>${s.code.map(esc).join('\n')}</pre>` : ''}`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Swarm lab ${esc(f.lab.name)}</title><style>${CSS}</style></head><body><h1>Swarm lab ${esc(f.lab.name)}</h1>${body.join('\n')}</body></html>\n`;
}

export function renderTrainerHtml(
  plan: WorkshopPlan,
  rows: ReadonlyArray<{ lab: string; host: string; status?: LabStatus }>,
): string {
  const tr = rows.map(({ lab, host, status: s }) => {
    const report = s?.report
      ? ` <a href="${esc(path.relative(workshopDir(plan.name), path.join(s.report, 'report.html')))}">report</a>`
      : '';
    return `<tr><td><a href="labs/${esc(lab)}/sheet.html">${esc(lab)}</a></td><td>${esc(host)}</td><td>${esc(s?.phase ?? '?')}</td><td class="${esc(s?.verdict ?? '')}">${esc(s?.verdict ?? '')}${report}</td><td>${esc(s?.verifiedAt ?? '')}</td><td>${esc(s?.error ? `${s.error.phase}: ${s.error.message}` : '')}</td></tr>`;
  });
  const hosts = plan.hosts.map(
    (h) =>
      `<li>${esc(h.name)}: netns <code>${esc(h.netns)}</code>, ${h.capacity.cpus} CPU, ${h.capacity.availableMiB} of ${h.capacity.memoryMiB} MiB available, ${h.capacity.diskFreeGiB} GiB free at up</li>`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>Workshop ${esc(plan.name)}</title><style>${CSS}</style></head><body><h1>Workshop ${esc(plan.name)}</h1><p>${plan.labs.length} labs, ${esc(plan.flavour)}; placement rule: ${esc(plan.rule)}.</p><ul>${hosts.join('')}</ul><table><tr><th>lab</th><th>host</th><th>state</th><th>last verify</th><th>at</th><th>error</th></tr>${tr.join('\n')}</table><p>Written ${esc(new Date().toISOString())}; <code>npm run workshop -- status</code> shows progress live.</p></body></html>\n`;
}

/** Write every sheet and the trainer page; returns the trainer page and the sheets written. */
export function writeSheets(plan: WorkshopPlan, root = ROOT): string[] {
  const files: string[] = [];
  const rows = plan.labs.map((l) => {
    const st = readStatus(plan.name, l.name, root);
    const status = st && effectiveStatus(st);
    const file = labFilePath(plan.name, l.name, root);
    if (fs.existsSync(file)) {
      const f: SheetFacts = {
        lab: resolveLab({ file, env: {} }),
        host: plan.hosts.find((h) => h.name === l.host)!,
        status,
        root,
      };
      const dir = labDir(plan.name, l.name, root);
      fs.writeFileSync(path.join(dir, 'sheet.md'), renderSheetMd(f));
      fs.writeFileSync(path.join(dir, 'sheet.html'), renderSheetHtml(f));
      files.push(path.join(dir, 'sheet.html'));
    }
    return { lab: l.name, host: l.host, status };
  });
  const index = path.join(workshopDir(plan.name, root), 'index.html');
  fs.writeFileSync(index, renderTrainerHtml(plan, rows));
  return [index, ...files];
}
