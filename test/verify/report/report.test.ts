/**
 * Reports from the mini-lab round (healthy and with a wrong VNI on the wire): terminal, JSON,
 * JUnit (parsed by a JUnit parser), Markdown, HTML (rendered by headless Chromium when installed).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseJunit } from 'junit2json';
import { evaluate } from '../../../verify/engine';
import type { RoundVerdict } from '../../../verify/engine';
import type { RoundData } from '../../../verify/model';
import { renderTerminal, writeReports } from '../../../verify/report';
import { rewriteCapture, tcpLayer, vxlanOffset } from '../pcap-writer';
import { LAB_PCAPS, loadMiniLab, tmpDir } from '../engine/minilab';

const dirs: string[] = [];
let good: { v: RoundVerdict; round: RoundData; files: Record<string, string> };
let bad: { v: RoundVerdict; round: RoundData; files: Record<string, string> };

beforeAll(async () => {
  const round = loadMiniLab();
  const v = await evaluate(round);
  const out = tmpDir('report-ok');
  dirs.push(out);
  good = { v, round, files: await writeReports(v, round, out) };
  // Same round with VNI 4097 on every VXLAN datagram leaving the entry node.
  const pc = tmpDir('report-pcaps');
  dirs.push(pc);
  for (const f of fs.readdirSync(LAB_PCAPS)) {
    if (f === 'centos7-10__host__enp0s5.pcap') {
      rewriteCapture(path.join(LAB_PCAPS, f), path.join(pc, f), (fr, p) => {
        const d = Buffer.from(fr.data);
        if (p.vxlan && p.ipv4?.src === '10.211.55.10' && tcpLayer(p).tcp) d[vxlanOffset(d) + 6] = 0x01;
        return { tsSec: fr.tsSec, tsNsec: fr.tsNsec, data: d };
      });
    } else fs.copyFileSync(path.join(LAB_PCAPS, f), path.join(pc, f));
  }
  const bround = loadMiniLab(pc);
  const bv = await evaluate(bround);
  const bout = tmpDir('report-bad');
  dirs.push(bout);
  bad = { v: bv, round: bround, files: await writeReports(bv, bround, bout) };
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('terminal view: hop table with ticks, served node per request, verdict', () => {
  const t = renderTerminal(good.v);
  expect(t).toMatch(/^swarm-lab verify: PASS/);
  expect(t).toMatch(/✓ ingress request 0: .* served by centos7-18 \(10\.0\.0\.20, remote\)/);
  expect(t).toMatch(/✓ ingress request 2: .* served by centos7-10 \(10\.0\.0\.17, local\)/);
  expect(t).toMatch(/round robin over 3 task/);
  const b = renderTerminal(bad.v);
  expect(b).toMatch(/^swarm-lab verify: FAIL/);
  expect(b).toMatch(/✗ wrong\s+VXLAN 10\.211\.55\.10 -> 10\.211\.55\.18:4789 .* VNI 4097, expected 4096/);
  expect(b).toMatch(/first broken hop: 9-entry-host-vxlan-out/);
  expect(b).toMatch(/likely: VNI mismatch/);
  expect(fs.readFileSync(good.files.terminal, 'utf8')).toContain('PASS');
});

test('JSON carries the verdict and the topology', () => {
  const j = JSON.parse(fs.readFileSync(bad.files.json, 'utf8'));
  expect(j.verdict.ok).toBe(false);
  expect(j.verdict.exitCode).toBe(1);
  expect(j.verdict.firstBroken.hop).toBe('9-entry-host-vxlan-out');
  expect(j.topology.ingress.vni).toBe(4096);
});

test('JUnit XML is accepted by a JUnit parser: one testcase per hop per request class', async () => {
  const ok = (await parseJunit(fs.readFileSync(good.files.junit, 'utf8'))) as {
    tests?: number;
    failures?: number;
    testsuite?: Array<{ name?: string; tests?: number; testcase?: unknown[] }>;
  };
  expect(ok.failures).toBe(0);
  const suites = ok.testsuite ?? [];
  const names = suites.map((s) => s.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'entry centos7-10 -> task on centos7-18 (remote)',
      'entry centos7-10 -> task on centos7-10 (local)',
      'state checks',
      'distribution',
    ]),
  );
  expect(suites.find((s) => s.name?.includes('(remote)'))?.testcase).toHaveLength(29);
  expect(suites.find((s) => s.name?.includes('(local)'))?.testcase).toHaveLength(17);
  const nb = (await parseJunit(fs.readFileSync(bad.files.junit, 'utf8'))) as {
    failures?: number;
    testsuite?: Array<{
      name?: string;
      testcase?: Array<{ name?: string; failure?: Array<{ message?: string; inner?: string }> }>;
    }>;
  };
  expect(nb.failures).toBeGreaterThan(0);
  const cases = (nb.testsuite ?? []).flatMap((s) => s.testcase ?? []);
  const vni = cases.find((c) => c.name?.includes('9-entry-host-vxlan-out'));
  expect(vni?.failure?.[0]?.message).toMatch(/expected VXLAN .* VNI 4096 .*; seen VNI 4097, expected 4096/);
});

test('Markdown has the hop table and links the pcaps kept beside the report', () => {
  const md = fs.readFileSync(bad.files.markdown, 'utf8');
  expect(md).toMatch(/^# swarm-lab verify: FAIL/);
  expect(md).toMatch(/\| 9 \| ✗ wrong \| VXLAN 10\.211\.55\.10 -> 10\.211\.55\.18:4789/);
  expect(md).toContain(
    '[pcaps/centos7-18__task__eth0__7fd6d0335ad4.pcap](pcaps/centos7-18__task__eth0__7fd6d0335ad4.pcap)',
  );
  const kept = fs.readdirSync(good.files.pcaps).sort();
  expect(kept).toEqual(fs.readdirSync(LAB_PCAPS).sort());
});

test('HTML is self-contained, with the hop diagram and packet lines', () => {
  const html = fs.readFileSync(good.files.html, 'utf8');
  expect(html).toMatch(/<svg[^>]+aria-label="hop diagram"/);
  expect(html).toContain('10.211.55.10.9090 &gt; 10.211.55.2.');
  // Nothing fetched from elsewhere: no external scripts, styles or images.
  expect(html).not.toMatch(/<(script|link|img)\b/i);
  expect(html).not.toMatch(/(src|href)="https?:/);
});

function chromium(): string | undefined {
  for (const bin of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
      return bin;
    } catch {
      /* next */
    }
  }
  return undefined;
}

const chrome = chromium();
(chrome ? test : test.skip)(
  'HTML renders in headless Chromium (PASS green, FAIL red banner)',
  () => {
    const shot = (html: string): Buffer => {
      const png = path.join(path.dirname(html), 'shot.png');
      execFileSync(
        chrome as string,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--hide-scrollbars',
          '--window-size=1400,900',
          `--screenshot=${png}`,
          `file://${html}`,
        ],
        { stdio: 'ignore', timeout: 60000 },
      );
      return fs.readFileSync(png);
    };
    const ok = shot(good.files.html);
    const ko = shot(bad.files.html);
    for (const p of [ok, ko]) {
      expect(p.subarray(1, 4).toString()).toBe('PNG');
      expect(p.readUInt32BE(16)).toBe(1400); // IHDR width
      expect(p.length).toBeGreaterThan(30000); // a blank page compresses to a few KB
    }
    expect(ok.equals(ko)).toBe(false);
  },
  120000,
);
