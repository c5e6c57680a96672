/**
 * Writing a round's reports: terminal text, JSON, JUnit XML, Markdown and HTML, with the
 * pcaps copied beside them as `pcaps/<node>__<ns>__<iface>[__<container12>].pcap`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { captureFileName } from '../engine/captures';
import type { RoundVerdict } from '../engine/types';
import type { RoundData } from '../model';
import { renderHtml } from './html';
import { renderJunit } from './junit';
import { renderMarkdown } from './markdown';
import { renderTerminal } from './terminal';

export { renderTerminal, renderJunit, renderMarkdown, renderHtml };

export async function writeReports(
  verdict: RoundVerdict,
  round: RoundData,
  outDir: string,
): Promise<Record<string, string>> {
  const pcapDir = path.join(outDir, 'pcaps');
  await fs.promises.mkdir(pcapDir, { recursive: true });
  const pcaps: string[] = [];
  for (const c of round.captures) {
    if (c.failed || !fs.existsSync(c.file)) continue;
    const name = captureFileName(c, c.file.endsWith('.pcapng') ? '.pcapng' : '.pcap');
    const dst = path.join(pcapDir, name);
    if (path.resolve(c.file) !== path.resolve(dst)) await fs.promises.copyFile(c.file, dst);
    pcaps.push(`pcaps/${name}`);
  }
  const files: Record<string, string> = {
    terminal: path.join(outDir, 'verdict.txt'),
    json: path.join(outDir, 'verdict.json'),
    junit: path.join(outDir, 'junit.xml'),
    markdown: path.join(outDir, 'report.md'),
    html: path.join(outDir, 'report.html'),
  };
  await fs.promises.writeFile(files.terminal, renderTerminal(verdict) + '\n');
  await fs.promises.writeFile(
    files.json,
    JSON.stringify({ verdict, topology: round.topology, requests: round.requests, pcaps }, null, 2) + '\n',
  );
  await fs.promises.writeFile(files.junit, renderJunit(verdict));
  await fs.promises.writeFile(files.markdown, renderMarkdown(verdict, pcaps));
  await fs.promises.writeFile(files.html, renderHtml(verdict, pcaps));
  files.pcaps = pcapDir;
  return files;
}
