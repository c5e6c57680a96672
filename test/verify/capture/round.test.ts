/**
 * runRound() end to end over real SSH on the Docker look-alike (test/harness/docker-replay.ts):
 * connect, discover, snapshot, start tcpdump at all ten planned points on both nodes, send the
 * requests to the entry node's published port (a web server on the host NIC stands in for the
 * routing mesh), stop, fetch, write round.json. Checks what the engine will rely on.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RoundData } from '../../../verify/model';
import { selectPaths } from '../../../verify/paths';
import { runRound } from '../../../verify/round';
import { evaluate } from '../../../verify/engine';
import { renderTerminal, writeReports } from '../../../verify/report';
import { C10, C18, ReplayLab, startReplayLab } from '../../harness/docker-replay';
import { run } from '../../harness/procs';
import { decodeSyns } from './pcap-syns';

let lab: ReplayLab;
let out: string;

beforeAll(async () => {
  lab = await startReplayLab();
  // The "published port" on centos7-10's NIC.
  await lab.h.spawn(
    lab.h.hosts[0].ns,
    [
      process.execPath,
      path.join(__dirname, '../../harness/http-server.js'),
      '10.77.0.11',
      '9090',
      'Host IP is 10.77.0.11',
    ],
    /ready/,
  );
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-round-'));
});

afterAll(async () => {
  const prefix = lab?.h.prefix;
  await lab?.stop();
  fs.rmSync(out, { recursive: true, force: true });
  if (prefix) {
    expect(run(['ip', 'netns', 'list'])).not.toContain(prefix);
    expect(lab.h.livePids()).toEqual([]);
  }
});

test('a round: every planned point captured and fetched, requests recorded with their client ports', async () => {
  const lines: string[] = [];
  const round = await runRound(lab.pool(), {
    nodes: lab.nodes,
    clientIp: '10.77.0.1',
    service: 'my-nginx',
    requests: 5,
    outDir: out,
    netnsDir: lab.netnsDir,
    dial: lab.h.dial,
    log: (n, s, d) => lines.push(`${n} ${s} ${d}`),
  });
  const saved = JSON.parse(fs.readFileSync(path.join(out, 'round.json'), 'utf8')) as RoundData;
  expect(saved).toEqual(JSON.parse(JSON.stringify(round)));
  expect(round.captures.map((c) => path.relative(out, c.file)).sort()).toEqual(
    [
      'centos7-10__host__eth0.pcap',
      'centos7-10__sbox__eth0.pcap',
      'centos7-10__sbox__eth1.pcap',
      'centos7-10__overlay__vxlan0.pcap',
      `centos7-10__task__eth0__${C10.slice(0, 12)}.pcap`,
      'centos7-18__host__eth0.pcap',
      'centos7-18__overlay__vxlan0.pcap',
      `centos7-18__task__eth2__${C18.slice(0, 12)}.pcap`,
    ]
      .map((f) => `pcaps/${f}`)
      .sort(),
  );
  expect(round.captures.filter((c) => c.failed)).toEqual([]);
  expect(round.snapshots.map((s) => s.node)).toEqual(['centos7-10', 'centos7-18']);
  expect(round.requests).toHaveLength(5);
  for (const r of round.requests) {
    expect(r).toMatchObject({
      entryNode: 'centos7-10',
      url: 'http://10.77.0.11:9090/',
      status: 200,
      body: 'Host IP is 10.77.0.11',
    });
  }
  // Each recorded client port is the one on the wire at the entry node's NIC.
  const nic = round.captures.find((c) => c.node === 'centos7-10' && c.ns === 'host')!;
  const syns = decodeSyns(nic.file);
  expect(syns.map((s) => s.srcPort).sort()).toEqual(round.requests.map((r) => r.clientPort).sort());
  expect(syns.every((s) => s.src === '10.77.0.1' && s.dst === '10.77.0.11' && s.dstPort === 9090)).toBe(true);
  // The engine reads this round as is. The look-alike has no routing mesh (the web server sits on
  // the NIC, no DNAT/IPVS/VXLAN), so the verdict must be a failure with a non-zero exit code.
  const verdict = await evaluate(round);
  expect(verdict.ok).toBe(false);
  expect(verdict.exitCode).toBeGreaterThan(0);
  const reports = await writeReports(verdict, round, out);
  for (const f of Object.values(reports)) expect(fs.statSync(f).size).toBeGreaterThan(0);
  const text = renderTerminal(verdict);
  expect(text.length).toBeGreaterThan(0);
  if (process.env.SWL_PRINT) process.stdout.write(text + '\n');
  // Progress: per node and step.
  for (const step of ['connect', 'discover', 'snapshot', 'capture', 'collect']) {
    expect(lines.some((l) => l.startsWith(`centos7-18 ${step} `))).toBe(true);
  }
});

test('client paths on a lab without a client service: named as not judged, the ingress round goes on', async () => {
  const lines: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-round-client-'));
  try {
    const paths = selectPaths(['ingress', 'service-vip', 'dns']);
    const round = await runRound(lab.pool(), {
      nodes: lab.nodes,
      clientIp: '10.77.0.1',
      service: 'my-nginx',
      requests: 2,
      paths,
      outDir: dir,
      netnsDir: lab.netnsDir,
      dial: lab.h.dial,
      log: (n, s, d) => lines.push(`${n} ${s} ${d}`),
    });
    // The look-alike's docker knows no ol_network: discovery of the client paths fails, by name.
    // The ingress discovery asked for it in its own network inspect: the manager's answer names it.
    expect(lines.find((l) => /client paths \(service-vip, dns\) not judged: /.test(l))).toBe(
      "* discover client paths (service-vip, dns) not judged: centos7-10: user overlay: docker network inspect ol_network failed: Error response from daemon: network ol_network not found; the lab's overlay appears on a node once a task uses it (run the Ansible provisioning)",
    );
    expect(round.topology.userOverlay).toBeUndefined();
    expect(round.requests.map((r) => r.path ?? 'ingress')).toEqual(['ingress', 'ingress']);
    const v = await evaluate(round, { paths });
    const byId = Object.fromEntries(v.paths.map((p) => [p.id, p]));
    expect(byId['service-vip']).toMatchObject({
      ok: false,
      exitCode: 2,
      summary: 'no requests in the round: nothing to prove',
    });
    expect(byId.dns).toMatchObject({ ok: false, exitCode: 2 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
