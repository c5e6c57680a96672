/**
 * The e2e matrix summary over verdicts the real engine made from the recorded mini-lab round
 * (test/fixtures/pcap/minilab + state/minilab), altered per flavour the way each Docker
 * version or a fault would alter it: a healthy 20.10 lab, a 26.1 lab whose entry node sends
 * VXLAN with the wrong VNI, a 28.5 lab with FORWARD -> DOCKER-FORWARD, a lab without the
 * DOCKER-INGRESS chain, and a flavour that failed in deploy (no verdict).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseJunit } from 'junit2json';
import type { TestSuites } from 'junit2json';
import { evaluate } from '../../verify/engine';
import type { RoundVerdict } from '../../verify/engine';
import type { NodeSnapshot, RoundData } from '../../verify/model';
import { FlavourResult, formatSeconds, pathDifferences, renderMatrix, summarize } from '../../e2e/matrix-report';
import { main as summaryMain } from '../../e2e/matrix-summary-cli';
import { recordOf, regressionLine, regressions } from '../../e2e/matrix-history';
import { matrixJobs, MATRIX_RUN_FILE, type MatrixRun } from '../../e2e/matrix-jobs';
import { rewriteCapture, tcpLayer, vxlanOffset } from '../verify/pcap-writer';
import { LAB_PCAPS, loadMiniLab, tmpDir } from '../verify/engine/minilab';

const ROOT = path.resolve(__dirname, '../..');
const ENTRY = 'centos7-10';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

// ---- round alterations ------------------------------------------------------------------------

const withEngine =
  (version: string) =>
  (r: RoundData): RoundData => ({
    ...r,
    topology: { ...r.topology, nodes: r.topology.nodes.map((n) => ({ ...n, engineVersion: version })) },
  });
const onSnapshots =
  (fn: (s: NodeSnapshot) => NodeSnapshot) =>
  (r: RoundData): RoundData => ({ ...r, snapshots: r.snapshots.map(fn) });

/** Another fwmark (Docker counts them up per published service): mangle, ipvsadm and /proc agree. */
const withMark = (mark: number) =>
  onSnapshots((s) => ({
    ...s,
    sbox: {
      ...s.sbox,
      iptablesSave: s.sbox.iptablesSave.replace(/0x100\b/g, `0x${mark.toString(16)}`),
      ipvsadm: s.sbox.ipvsadm.replace('FWM  256 rr', `FWM  ${mark} rr`),
      procIpvs: s.sbox.procIpvs.replace('FWM  00000100', `FWM  ${mark.toString(16).padStart(8, '0').toUpperCase()}`),
    },
  }));

/** Docker 28's filter layout: FORWARD -> DOCKER-FORWARD -> DOCKER-INGRESS. */
const withDockerForward = onSnapshots((s) => ({
  ...s,
  host: {
    iptablesSave: s.host.iptablesSave.replace(
      ':DOCKER-INGRESS - [0:0]\n-A FORWARD -j DOCKER-INGRESS',
      ':DOCKER-INGRESS - [0:0]\n:DOCKER-FORWARD - [0:0]\n-A FORWARD -j DOCKER-FORWARD\n-A DOCKER-FORWARD -j DOCKER-INGRESS',
    ),
  },
}));

const withoutNatIngress = onSnapshots((s) =>
  s.node !== ENTRY
    ? s
    : {
        ...s,
        host: {
          iptablesSave: s.host.iptablesSave.replace(/\*nat[\s\S]*?COMMIT\n/, (nat) =>
            nat
              .split('\n')
              .filter((l) => !l.includes('DOCKER-INGRESS'))
              .join('\n'),
          ),
        },
      },
);

/** The mini-lab pcaps with VNI 4097 on every VXLAN TCP segment the entry node sends. */
function wrongVniPcaps(): string {
  const dir = tmpDir('matrix-pcaps');
  dirs.push(dir);
  for (const f of fs.readdirSync(LAB_PCAPS)) {
    if (f !== `${ENTRY}__host__enp0s5.pcap`) {
      fs.copyFileSync(path.join(LAB_PCAPS, f), path.join(dir, f));
      continue;
    }
    rewriteCapture(path.join(LAB_PCAPS, f), path.join(dir, f), (fr, p) => {
      const d = Buffer.from(fr.data);
      if (p.vxlan && p.ipv4?.src === '10.211.55.10' && tcpLayer(p).tcp) d[vxlanOffset(d) + 6] = 0x01;
      return { tsSec: fr.tsSec, tsNsec: fr.tsNsec, data: d };
    });
  }
  return dir;
}

async function verdictOf(
  pcapDir: string | undefined,
  ...alter: Array<(r: RoundData) => RoundData>
): Promise<RoundVerdict> {
  return evaluate(alter.reduce((r, fn) => fn(r), loadMiniLab(pcapDir)));
}

const nodeTimings = [
  { node: 'centos7-10', bootToSshdS: 71.3, sshdToDockerS: 9.2 },
  { node: 'centos7-18', bootToSshdS: 84.9, sshdToDockerS: 8.1 },
  { node: 'centos7-22', bootToSshdS: 78.0, sshdToDockerS: 10.4 },
];
const timings = { images: 2.1, host: 3.4, deploy: 412.6, verify: 38.2, destroy: 21.7, 'lab-up': 301.5 };

let healthy20: FlavourResult;
let broken26: FlavourResult;
let healthy28: FlavourResult;
let failed28: FlavourResult;
let noIngress: FlavourResult;

beforeAll(async () => {
  const img = (f: string) => `.cache/images/${f}/disk.qcow2`;
  healthy20 = {
    flavour: 'debian12-docker20',
    image: img('debian12-docker20'),
    engineVersion: '20.10.24',
    timings,
    nodeTimings,
    verdict: await verdictOf(undefined),
  };
  broken26 = {
    flavour: 'debian13-docker26',
    image: img('debian13-docker26'),
    engineVersion: '26.1.5',
    timings: { ...timings, deploy: 398.0, 'lab-up': 288.9 },
    nodeTimings,
    verdict: await verdictOf(wrongVniPcaps(), withEngine('26.1.5'), withMark(0x101)),
  };
  healthy28 = {
    flavour: 'debiansid-docker28',
    image: img('debiansid-docker28'),
    engineVersion: '28.5.2',
    timings,
    nodeTimings,
    verdict: await verdictOf(undefined, withEngine('28.5.2'), withDockerForward, withMark(0x102)),
  };
  failed28 = {
    flavour: 'debiansid-docker28',
    image: img('debiansid-docker28'),
    engineVersion: '28.5.2',
    timings: { images: 640.2, host: 3.1 },
    error: {
      phase: 'deploy',
      message: 'cdktf deploy exited 1: libvirt_domain.centos7-18: sshd did not answer within 180 s',
    },
  };
  noIngress = {
    ...healthy20,
    flavour: 'debian12-docker20-noingress',
    verdict: await verdictOf(undefined, withoutNatIngress),
  };
});

// ---- the three-flavour matrix of the issue --------------------------------------------------------

describe('healthy 20.10, 26.1 with a wrong VNI on the wire, 28.5 failed in deploy', () => {
  let r: ReturnType<typeof renderMatrix>;
  beforeAll(() => {
    r = renderMatrix([healthy20, broken26, failed28], { generatedAt: '2026-11-21T03:00:00Z' });
  });

  test('the verdicts the fixtures give are what the scenario says', () => {
    expect(healthy20.verdict?.ok).toBe(true);
    expect(broken26.verdict?.ok).toBe(false);
    expect(broken26.verdict?.firstBroken?.hop).toBe('9-entry-host-vxlan-out');
    expect(healthy28.verdict?.ok).toBe(true);
    expect(healthy28.verdict?.profile).toBe('docker-forward-chain');
  });

  test('the flavour table names each flavour with its engine, verdict, phase times and slowest boot', () => {
    const lines = r.text.split('\n');
    expect(lines[0]).toBe(
      'swarm-lab e2e matrix: FAIL — 1/3 flavour(s) pass; not passing: debian13-docker26, debiansid-docker28',
    );
    const header = lines.find((l) => l.startsWith('flavour'));
    expect(header?.split(/\s{2,}/)).toEqual([
      'flavour',
      'engine',
      'verdict',
      'hops ok',
      'images',
      'host',
      'deploy',
      'verify',
      'destroy',
      'lab-up',
      'slowest boot->sshd',
    ]);
    const row = (f: string) => lines.find((l) => l.startsWith(`${f} `))?.split(/\s{2,}/);
    expect(row('debian12-docker20')).toEqual([
      'debian12-docker20',
      '20.10.24',
      'PASS',
      '75/75',
      '2.1s',
      '3.4s',
      '6m53s',
      '38.2s',
      '21.7s',
      '5m02s',
      '1m25s (centos7-18)',
    ]);
    expect(row('debian13-docker26')?.slice(0, 4)).toEqual([
      'debian13-docker26',
      '26.1.5',
      'FAIL',
      '73/75 ✗ 9-entry-host-vxlan-out',
    ]);
    // Failed in deploy: the phase is named, later phases have no time.
    expect(row('debiansid-docker28')).toEqual([
      'debiansid-docker28',
      '28.5.2',
      'ERROR in deploy',
      '—',
      '10m40s',
      '3.1s',
      '—',
      '—',
      '—',
      '—',
      '—',
    ]);
  });

  test('verdict per hop: ✓ for the healthy flavour, ✗ with expected vs seen for the broken hop, — without a verdict', () => {
    const hopLine = (id: string) =>
      r.text
        .split('\n')
        .find((l) => l.split(/\s{2,}/)[2] === id)
        ?.split(/\s{2,}/);
    expect(hopLine('9-entry-host-vxlan-out')).toEqual(['ingress', '9', '9-entry-host-vxlan-out', '✓', '✗ wrong', '—']);
    expect(hopLine('9-serving-host-vxlan-in')).toEqual(['ingress', '9', '9-serving-host-vxlan-in', '✓', '✓', '—']);
    expect(hopLine('1-entry-host-in')).toEqual(['ingress', '1', '1-entry-host-in', '✓', '✓', '—']);
    // Every hop of the remote path, in path order.
    const ids = r.summary.hops.map((h) => h.id);
    expect(ids).toHaveLength(29);
    expect(ids.slice(0, 3)).toEqual(['1-entry-host-in', '2-entry-host-dnat', '3-entry-sbox-eth1']);
    expect(ids[ids.length - 1]).toBe('R15-client-body');
    const broken = r.text.split('\n').filter((l) => l.startsWith('  ✗ debian13-docker26: '));
    expect(broken).toHaveLength(2); // both remote request classes (task on centos7-18 and on centos7-22)
    expect(broken[0]).toMatch(
      /9 9-entry-host-vxlan-out wrong \(request 0; entry centos7-10 -> task on centos7-18 \(remote\); at centos7-10\/host\/enp0s5\): expected VXLAN 10\.211\.55\.10 -> 10\.211\.55\.18:4789 VNI 4096 carrying .*; seen VNI 4097, expected 4096 — /,
    );
    expect(r.text).toMatch(/ {6}confirmed: VNI mismatch/);
    expect(r.text).toContain(
      '  ✗ debiansid-docker28: failed in deploy: cdktf deploy exited 1: libvirt_domain.centos7-18: sshd did not answer within 180 s',
    );
    expect(r.text).not.toMatch(/✗ debian12-docker20/);
  });

  test('merged JUnit parses with junit2json: one testsuite per flavour with its own failures', async () => {
    const j = (await parseJunit(r.junit)) as TestSuites;
    const suites = j.testsuite ?? [];
    expect(suites.map((s) => s.name)).toEqual(['debian12-docker20', 'debian13-docker26', 'debiansid-docker28']);
    // Suite time: the phases run, lab-up not added twice (it is part of deploy).
    expect(suites.map((s) => s.time)).toEqual([478, 463.4, 643.3]);
    const failedCases = (i: number) => (suites[i].testcase ?? []).filter((c) => c.failure);
    expect(suites.map((s) => s.failures)).toEqual([0, 2, 1]);
    expect(suites.map((_, i) => failedCases(i).length)).toEqual([0, 2, 1]);
    expect(j.failures).toBe(3);
    expect(j.tests).toBe(suites.reduce((a, s) => a + (s.testcase?.length ?? 0), 0));
    // Healthy: 6 phases + 29 + 29 + 17 hops (three request classes, handshake and HTTP exchange) + 15 state checks + round robin.
    expect(suites[0].testcase).toHaveLength(6 + 29 + 29 + 17 + 15 + 1);
    expect(failedCases(1).map((c) => c.name)).toEqual([
      'entry centos7-10 -> task on centos7-18 (remote): 9 9-entry-host-vxlan-out',
      'entry centos7-10 -> task on centos7-22 (remote): 9 9-entry-host-vxlan-out',
    ]);
    expect(failedCases(1)[0].failure?.[0].message).toMatch(
      /expected VXLAN .* VNI 4096 .*; seen VNI 4097, expected 4096/,
    );
    // The flavour without a verdict: its phases, the failed one carrying the message.
    expect((suites[2].testcase ?? []).map((c) => c.name)).toEqual(['phase images', 'phase host', 'phase deploy']);
    expect(failedCases(2)[0].failure?.[0]).toMatchObject({
      type: 'phase',
      message: expect.stringMatching(/^deploy failed: cdktf deploy exited 1: .*180 s$/),
    });
    // Testcases of different flavours do not share a classname.
    const cls = suites.map((s) => new Set((s.testcase ?? []).map((c) => c.classname?.split('.')[2])));
    expect(cls.map((s) => [...s])).toEqual([['debian12-docker20'], ['debian13-docker26'], ['debiansid-docker28']]);
  });

  test('differences: only the facts that differ, between the flavours that have a verdict', () => {
    const d = r.summary.differences;
    expect(d.flavours).toEqual(['debian12-docker20', 'debian13-docker26']);
    expect(d.differing).toEqual([
      { fact: 'engine version (discovered)', values: ['20.10.24', '26.1.5'] },
      { fact: 'centos7-10 ingress_sbox MARK', values: ['MARK set 0x100 (256)', 'MARK set 0x101 (257)'] },
      { fact: 'centos7-10 IPVS service', values: ['FWM 256 rr', 'FWM 257 rr'] },
    ]);
    expect(d.identical).toEqual(
      expect.arrayContaining([
        'ingress VNI',
        'task IPs',
        'centos7-10 ingress_sbox SNAT (sbox IP)',
        'centos7-10 nat DOCKER-INGRESS chain',
        'centos7-10 filter FORWARD path',
      ]),
    );
    const section = r.text.slice(r.text.indexOf('path differences between'));
    expect(section).toMatch(/^centos7-10 ingress_sbox MARK\s+MARK set 0x100 \(256\)\s+MARK set 0x101 \(257\)$/m);
    expect(section.split('same on all:')[0]).not.toMatch(/VNI|10\.0\.0\.17/);
  });

  test('Markdown carries the same tables', () => {
    expect(r.markdown).toMatch(/^# swarm-lab e2e matrix: FAIL/);
    expect(r.markdown).toContain(
      '| debiansid-docker28 | 28.5.2 | ERROR in deploy | — | 10m40s | 3.1s | — | — | — | — | — |',
    );
    expect(r.markdown).toContain('| 9 | `9-entry-host-vxlan-out` | ✓ | ✗ wrong | — |');
    expect(r.markdown).toContain('| centos7-10 IPVS service | FWM 256 rr | FWM 257 rr |');
    expect(r.markdown).toMatch(
      /- ✗ \*\*debian13-docker26\*\* 9 9-entry-host-vxlan-out wrong .*seen VNI 4097, expected 4096/,
    );
  });

  test('JSON carries the summary views', () => {
    const j = JSON.parse(r.json);
    expect(j.generatedAt).toBe('2026-11-21T03:00:00Z');
    expect(j.ok).toBe(false);
    expect(j.flavours.map((f: { flavour: string; status: string }) => [f.flavour, f.status])).toEqual([
      ['debian12-docker20', 'PASS'],
      ['debian13-docker26', 'FAIL'],
      ['debiansid-docker28', 'ERROR'],
    ]);
    expect(j.flavours[2].error).toEqual(failed28.error);
    expect(j.flavours[0].slowestBoot).toEqual(nodeTimings[1]);
    expect(j.differences.differing).toHaveLength(3);
  });
});

// ---- per-version differences ---------------------------------------------------------------

test('20.10 vs 28.5: the FORWARD path and profile differ, addresses and VNI do not', () => {
  const s = summarize([healthy20, healthy28]);
  expect(s.ok).toBe(true);
  expect(s.differences.differing).toEqual([
    { fact: 'engine version (discovered)', values: ['20.10.24', '28.5.2'] },
    { fact: 'engine profile', values: ['docker-legacy-forward', 'docker-forward-chain'] },
    {
      fact: 'centos7-10 filter FORWARD path',
      values: ['FORWARD -> DOCKER-INGRESS', 'FORWARD -> DOCKER-FORWARD -> DOCKER-INGRESS'],
    },
    { fact: 'centos7-10 ingress_sbox MARK', values: ['MARK set 0x100 (256)', 'MARK set 0x102 (258)'] },
    { fact: 'centos7-10 IPVS service', values: ['FWM 256 rr', 'FWM 258 rr'] },
  ]);
  const text = renderMatrix([healthy20, healthy28]).text;
  expect(text).toMatch(
    /^centos7-10 filter FORWARD path\s+FORWARD -> DOCKER-INGRESS\s+FORWARD -> DOCKER-FORWARD -> DOCKER-INGRESS$/m,
  );
  expect(text.split('\n')[0]).toBe('swarm-lab e2e matrix: PASS — 2/2 flavour(s) pass');
});

test('a lab without the nat DOCKER-INGRESS chain shows it absent beside one that has it', () => {
  expect(noIngress.verdict?.firstBroken?.hop).toBe('2-entry-host-dnat');
  const d = pathDifferences([healthy20, noIngress]);
  expect(d.differing.map((r) => r.fact)).toEqual(['centos7-10 nat DOCKER-INGRESS chain', 'centos7-10 host DNAT']);
  expect(d.differing[0].values).toEqual(['present', 'absent']);
  expect(d.differing[1].values).toEqual(['to 172.18.0.2:9090', 'missing: no DOCKER-INGRESS chain in the nat table']);
});

test('identical flavours have no differences; one verdict alone cannot be compared', () => {
  const same = pathDifferences([healthy20, { ...healthy20, flavour: 'again' }]);
  expect(same.differing).toEqual([]);
  expect(same.identical.length).toBeGreaterThan(20);
  expect(renderMatrix([healthy20, failed28]).text).toContain(
    'path differences: need two flavours with a verdict (have debian12-docker20)',
  );
});

test('a flavour whose verify passed but destroy failed is an error that keeps the verdict', () => {
  const s = summarize([
    { ...healthy20, error: { phase: 'destroy', message: 'virsh undefine centos7-22: domain is still running' } },
  ]);
  expect(s.ok).toBe(false);
  expect(s.flavours[0]).toMatchObject({ status: 'ERROR', label: 'ERROR in destroy (verify PASS)', hopsOk: 75 });
});

test('phase times read as seconds or minutes', () => {
  expect([42.14, 59.96, 119.7, 412.6, 3600].map(formatSeconds)).toEqual(['42.1s', '1m00s', '2m00s', '6m53s', '60m00s']);
  expect(formatSeconds(undefined)).toBe('—');
});

// ---- the CLI on a matrix directory ---------------------------------------------------------------

describe('e2e:summary CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('matrix-dir');
    dirs.push(dir);
    for (const r of [healthy20, broken26]) {
      fs.mkdirSync(path.join(dir, r.flavour));
      fs.writeFileSync(path.join(dir, r.flavour, 'result.json'), JSON.stringify(r));
    }
    // A run killed while writing its result.
    fs.mkdirSync(path.join(dir, 'debiansid-docker28'));
    fs.writeFileSync(path.join(dir, 'debiansid-docker28', 'result.json'), '{"flavour": "debiansid-docker28", "ima');
  });

  test('writes summary.{txt,md,xml,json}, exits 1 when a flavour fails, names broken result files', async () => {
    const p = spawnSync(
      process.execPath,
      [
        require.resolve('ts-node/dist/bin.js'),
        '--transpile-only',
        path.join(ROOT, 'e2e/matrix-summary-cli.ts'),
        dir,
        '--flavours',
        'debian12-docker20,debian13-docker26,debiansid-docker28,debian14-docker29',
        // Other tests' summaries sit beside this dir in /tmp: compare with nothing.
        '--previous',
        'none',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect({ status: p.status, stderr: p.stderr }).toEqual({
      status: 1,
      stderr: expect.stringContaining('summary.xml'),
    });
    expect(p.stdout).toMatch(/^swarm-lab e2e matrix: FAIL — 1\/4 flavour/);
    for (const f of ['summary.txt', 'summary.md', 'summary.xml', 'summary.json'])
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'summary.txt'), 'utf8')).toBe(p.stdout);
    const j = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(j.flavours.map((f: { flavour: string; label: string }) => [f.flavour, f.label])).toEqual([
      ['debian12-docker20', 'PASS'],
      ['debian13-docker26', 'FAIL'],
      ['debiansid-docker28', 'ERROR in result'],
      ['debian14-docker29', 'ERROR in result'],
    ]);
    expect(j.flavours[2].error.message).toMatch(/debiansid-docker28\/result\.json is not JSON .*killed while writing/);
    expect(j.flavours[3].error.message).toMatch(
      /no result at .*debian14-docker29\/result\.json \(ENOENT\): the e2e run of debian14-docker29 did not finish/,
    );
    const x = (await parseJunit(fs.readFileSync(path.join(dir, 'summary.xml'), 'utf8'))) as TestSuites;
    expect((x.testsuite ?? []).map((s) => [s.name, s.failures])).toEqual([
      ['debian12-docker20', 0],
      ['debian13-docker26', 2],
      ['debiansid-docker28', 1],
      ['debian14-docker29', 1],
    ]);
  });

  test('without --flavours it takes every <flavour>/result.json in name order; exit 0 when all pass', () => {
    const ok = tmpDir('matrix-ok');
    dirs.push(ok);
    for (const r of [healthy28, healthy20]) {
      fs.mkdirSync(path.join(ok, r.flavour));
      fs.writeFileSync(path.join(ok, r.flavour, 'result.json'), JSON.stringify(r));
    }
    fs.mkdirSync(path.join(ok, 'logs'));
    const out = captureStd(() => summaryMain([ok, '--quiet', '--previous', 'none']));
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('');
    expect(
      JSON.parse(fs.readFileSync(path.join(ok, 'summary.json'), 'utf8')).flavours.map(
        (f: { flavour: string }) => f.flavour,
      ),
    ).toEqual(['debian12-docker20', 'debiansid-docker28']);
  });

  test('usage errors exit 2 and say what is wrong', () => {
    const empty = tmpDir('matrix-empty');
    dirs.push(empty);
    expect(captureStd(() => summaryMain([])).stderr).toMatch(/missing <dir>/);
    const none = captureStd(() => summaryMain([empty]));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no <flavour>\/result\.json under .*matrix-empty/);
    expect(captureStd(() => summaryMain([empty, '--flavours', '../x'])).stderr).toMatch(
      /"\.\.\/x" is not a flavour name/,
    );
  });

  test('--help is generated from the option table; a bad flag is one line with exit 3', () => {
    const h = captureStd(() => summaryMain(['--help']));
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^usage: npm run e2e:summary -- \[options\] <dir>\n/);
    expect(h.stdout).toMatch(/--flavours <a,b,c> +flavours expected/);
    expect(h.stdout).toMatch(/--quiet +do not print the table/);
    const bad = captureStd(() => summaryMain(['/tmp', '--bogus']));
    expect(bad.code).toBe(3);
    expect(bad.stderr).toBe(
      "e2e summary: Unknown option '--bogus'; fix: npm run e2e:summary -- --help lists the options\n",
    );
  });

  test('a result.json with the wrong shape becomes an ERROR row saying which field', () => {
    const bad = tmpDir('matrix-bad');
    dirs.push(bad);
    fs.mkdirSync(path.join(bad, 'debian12-docker20'));
    fs.writeFileSync(
      path.join(bad, 'debian12-docker20', 'result.json'),
      JSON.stringify({ ...healthy20, timings: { deploy: '412s' } }),
    );
    expect(captureStd(() => summaryMain([bad, '--quiet', '--previous', 'none'])).code).toBe(1);
    const j = JSON.parse(fs.readFileSync(path.join(bad, 'summary.json'), 'utf8'));
    expect(j.flavours[0].error.message).toMatch(/result\.json: timings must map phase names to seconds/);
  });
});

// ---- since last night: the previous run beside this one --------------------------------------

describe('regressions against the previous matrix run', () => {
  /** The same flavour name as last night, with tonight's verdict. */
  const as = (r: FlavourResult, flavour: string): FlavourResult => ({ ...r, flavour });

  test('a hop that passed and fails now, a verdict that passed, and a changed fact are regressions', () => {
    const before = recordOf([healthy20]);
    const after = recordOf([as(broken26, 'debian12-docker20')]);
    const r = regressions(before, after).map(regressionLine);
    expect(r[0]).toBe('debian12-docker20: verdict: PASS -> FAIL');
    expect(r).toContain('debian12-docker20: hop ingress remote 9-entry-host-vxlan-out: ok -> wrong');
    // Marks and addresses Docker assigns per deployment are no regression (the fwmark moved to 0x101 here).
    expect(r.some((l) => /MARK|FWM|REDIRECT/.test(l))).toBe(false);
    expect(regressions(before, recordOf([healthy20]))).toEqual([]);
    // A passing night on another rule layout: every hop passes, and the path changed.
    const layout = regressions(before, recordOf([as(healthy28, 'debian12-docker20')])).map(regressionLine);
    expect(layout).toContain(
      'debian12-docker20: path changed: engine profile: docker-legacy-forward -> docker-forward-chain',
    );
    expect(
      layout.some((l) =>
        /path changed: .*filter FORWARD path: FORWARD -> DOCKER-INGRESS -> FORWARD -> DOCKER-FORWARD -> DOCKER-INGRESS/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(layout.some((l) => / hop | verdict:/.test(l))).toBe(false);
    // A flavour only in one of the runs is not compared.
    expect(regressions(before, recordOf([broken26]))).toEqual([]);
  });

  test('the CLI finds last night in the sibling directory, lists regressions first and exits 1', async () => {
    const parent = tmpDir('nightly');
    dirs.push(parent);
    const write = (run: string, r: FlavourResult) => {
      fs.mkdirSync(path.join(parent, run, r.flavour), { recursive: true });
      fs.writeFileSync(path.join(parent, run, r.flavour, 'result.json'), JSON.stringify(r));
    };
    write('matrix-1', healthy20);
    expect(captureStd(() => summaryMain([path.join(parent, 'matrix-1'), '--quiet'])).code).toBe(0);
    const first = JSON.parse(fs.readFileSync(path.join(parent, 'matrix-1', 'summary.json'), 'utf8'));
    expect(first.comparison.note).toMatch(/no earlier summary\.json beside/);
    write('matrix-2', as(broken26, 'debian12-docker20'));
    const run: MatrixRun = {
      jobs: 1,
      jobsReason: '1 lab(s) at a time: memory fits 3, CPUs allow 1',
      startedAt: new Date(Date.now() + 1000).toISOString(),
      wallS: 612.4,
      runs: [{ flavour: 'debian12-docker20', wallS: 610.2, exitCode: 1 }],
    };
    fs.writeFileSync(path.join(parent, 'matrix-2', MATRIX_RUN_FILE), JSON.stringify(run));
    const out = captureStd(() => summaryMain([path.join(parent, 'matrix-2')]));
    expect(out.code).toBe(1);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^swarm-lab e2e matrix: FAIL — 0\/1 flavour\(s\) pass; not passing: debian12-docker20; \d+ regression/,
    );
    expect(lines[1]).toBe(
      'wall 10m12s for 1 run(s); the single runs sum to 10m10s (wall/sum 1.00); 1 lab(s) at a time: memory fits 3, CPUs allow 1',
    );
    expect(lines[2]).toMatch(/^REGRESSIONS: \d+ since .*matrix-1\/summary\.json \(/);
    expect(lines[3]).toBe('  ✗ debian12-docker20: verdict: PASS -> FAIL');
    const j = JSON.parse(fs.readFileSync(path.join(parent, 'matrix-2', 'summary.json'), 'utf8'));
    expect(j.comparison.previous).toBe(path.join(parent, 'matrix-1', 'summary.json'));
    expect(j.ok).toBe(false);
    const x = (await parseJunit(fs.readFileSync(path.join(parent, 'matrix-2', 'summary.xml'), 'utf8'))) as TestSuites;
    expect(x.testsuite?.[0].name).toBe('regressions');
    expect(x.testsuite?.[0].failures).toBe(j.comparison.regressions.length);
    // Tonight healthy again: compared with the failing night, nothing regressed.
    write('matrix-3', healthy20);
    const again = captureStd(() => summaryMain([path.join(parent, 'matrix-3'), '--quiet']));
    expect(again.code).toBe(0);
    const k = JSON.parse(fs.readFileSync(path.join(parent, 'matrix-3', 'summary.json'), 'utf8'));
    expect(k.comparison).toMatchObject({ previous: path.join(parent, 'matrix-2', 'summary.json'), regressions: [] });
    expect(captureStd(() => summaryMain([path.join(parent, 'matrix-3'), '--previous', '/nonexistent'])).stderr).toMatch(
      /--previous \/nonexistent: no such file/,
    );
  });
});

describe('labs at once: memory and CPUs measured here', () => {
  test('on this kind of machine (2 cores, 22 GiB free) one lab at a time, and the line says why', () => {
    expect(matrixJobs(2, 22528, 7)).toEqual({
      jobs: 1,
      reason:
        '1 lab(s) at a time: memory fits 3 (22528 MiB available - 2048 kept, 5760 MiB per lab), CPUs allow 1 (2 CPU(s), one TCG lab per two)',
    });
  });
  test('more cores run more labs until memory bounds them; never more than the flavours; --jobs overrides', () => {
    expect(matrixJobs(8, 22528, 7).jobs).toBe(3);
    expect(matrixJobs(8, 9000, 7).jobs).toBe(1);
    expect(matrixJobs(16, 64000, 2).jobs).toBe(2);
    expect(matrixJobs(2, 22528, 7, 2)).toMatchObject({
      jobs: 2,
      reason: expect.stringMatching(/^--jobs 2; memory fits 3/),
    });
  });
});

function captureStd(fn: () => number): { code: number; stdout: string; stderr: string } {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out.push(String(s));
    return true;
  });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err.push(String(s));
    return true;
  });
  try {
    return { code: fn(), stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
