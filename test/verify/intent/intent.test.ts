/**
 * Intent checks on a real bookworm lab's answer (test/fixtures/intent/debian12-docker20: lab.json = the
 * lab file the e2e run deployed; flux/01-converging.out/.err = the manager's raw answer to the intent
 * command while the loaded TCG lab was still starting its tasks, manager marked down, `docker service
 * inspect` hitting an rpc deadline). The fields it carries are compared with the lab model; each
 * changed on the lab side fails with exactly its check id; failing checks lead every report.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT } from '../../../lib/exit';
import { resolveLab, type Lab } from '../../../stacks/lab';
import { readRoundFile } from '../../../verify/cli';
import { parseIntentOutput, type IntentFacts } from '../../../verify/discover-intent';
import { evaluate } from '../../../verify/engine';
import { checkIntent, labIntent, semverCore, withIntent } from '../../../verify/intent';
import { renderHtml, renderJunit, renderMarkdown, renderTerminal } from '../../../verify/report';

const DIR = path.resolve(__dirname, '../../fixtures/intent/debian12-docker20');
const ROUND = path.resolve(__dirname, '../../fixtures/lab/debian12-docker20/round.json');
const read = (f: string) => fs.readFileSync(path.join(DIR, f), 'utf8');
const lab = resolveLab({ file: path.join(DIR, 'lab.json'), env: {} });
const facts = parseIntentOutput(
  read('flux/01-converging.out'),
  'node-10',
  '2026-12-01T14:44:00Z',
  read('flux/01-converging.err'),
);

type Mut<T> = T extends readonly (infer U)[]
  ? Mut<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mut<T[K]> }
    : T;
const clone = <T>(x: T): Mut<T> => JSON.parse(JSON.stringify(x));
const failing = (l: Lab, f: IntentFacts): string[] =>
  checkIntent(labIntent(l), f)
    .filter((c) => !c.ok)
    .map((c) => c.id)
    .sort();
/** What the real read itself fails on: the manager was marked down and the service unreadable (rpc deadline). */
const REAL = ['intent.node.node-10.status', 'intent.overlay.network', 'intent.service'];

test('semverCore compares MAJOR.MINOR.PATCH only', () => {
  expect(semverCore('20.10.24+dfsg1')).toBe('20.10.24');
  expect(semverCore('28.5.2')).toBe('28.5.2');
  expect(semverCore('24.0')).toBe('24.0.0');
  expect(semverCore('unknown')).toBeUndefined();
});

test('the real manager answer parses: nodes, engines, data path port, overlay; the service error is kept', () => {
  expect(facts.nodes.map((n) => `${n.hostname} ${n.addr} ${n.role} ${n.state} ${n.engineVersion}`)).toEqual([
    'node-10 10.211.55.10 manager down 20.10.24+dfsg1',
    'node-18 10.211.55.18 worker ready 20.10.24+dfsg1',
    'node-22 10.211.55.22 worker ready 20.10.24+dfsg1',
  ]);
  expect(facts.swarm.dataPathPort).toBe(4789);
  expect(facts.overlay).toMatchObject({
    name: 'ol_network',
    driver: 'overlay',
    scope: 'swarm',
    subnets: ['10.10.0.0/24'],
  });
  expect(facts.service).toBeUndefined();
  expect(facts.serviceError).toMatch(/DeadlineExceeded/);
});

test('on the real answer, the checks with data agree with the lab file; only what the lab really showed fails', () => {
  const checks = new Map(checkIntent(labIntent(lab), facts).map((c) => [c.id, c]));
  expect(failing(lab, facts)).toEqual(REAL);
  for (const id of [
    'intent.nodes',
    'intent.node.node-10.role',
    'intent.node.node-18.role',
    'intent.engine.version',
    'intent.swarm.dataPathPort',
    'intent.overlay.subnet',
  ])
    expect([id, checks.get(id)?.ok]).toEqual([id, true]);
  expect(checks.get('intent.engine.version')!.seen).toBe('20.10.24 on 3 node(s)');
  expect(checks.get('intent.node.node-10.status')).toMatchObject({ expected: 'ready/active', seen: 'down/active' });
});

const labSide: Array<[string, (l: Mut<Lab>) => void, string[]]> = [
  ['dockerVersion 26.1.5', (l) => (l.dockerVersion = '26.1.5'), ['intent.engine.version']],
  ['dataPathPort 4790', (l) => (l.dataPathPort = 4790), ['intent.swarm.dataPathPort']],
  ['service.overlaySubnet 10.20.0.0/24', (l) => (l.service.overlaySubnet = '10.20.0.0/24'), ['intent.overlay.subnet']],
  ['a node address', (l) => (l.nodes[1].ip = '10.211.55.19'), ['intent.nodes']],
  ['a worker declared manager', (l) => (l.nodes[1].role = 'manager'), ['intent.node.node-18.role']],
  [
    'the manager declared worker',
    (l) => (l.nodes[0].role = 'worker'),
    ['intent.node.node-10.role', 'intent.swarm.leader'],
  ],
  ['one node more', (l) => l.nodes.push({ name: 'node-30', ip: '10.211.55.30', role: 'worker' }), ['intent.nodes']],
];
test.each(labSide)('lab file changed: %s -> fails with its check id', (_n, change, ids) => {
  const l = clone(lab);
  change(l);
  expect(failing(l as Lab, facts)).toEqual([...REAL, ...ids].sort());
});

const factSide: Array<[string, (f: Mut<IntentFacts>) => void, string[]]> = [
  ['one engine 20.10.25', (f) => (f.nodes[1].engineVersion = '20.10.25+dfsg1'), ['intent.engine.version']],
  ['data path port 4790', (f) => (f.swarm.dataPathPort = 4790), ['intent.swarm.dataPathPort']],
  ['overlay subnet', (f) => (f.overlay!.subnets = ['10.30.0.0/24']), ['intent.overlay.subnet']],
  ['a worker drained', (f) => (f.nodes[2].availability = 'drain'), ['intent.node.node-22.status']],
  ['a worker promoted', (f) => (f.nodes[1].role = 'manager'), ['intent.node.node-18.role']],
];
test.each(factSide)('swarm changed: %s -> fails with its check id', (_n, change, ids) => {
  const f = clone(facts);
  change(f);
  expect(failing(lab, f as IntentFacts)).toEqual([...REAL, ...ids].sort());
});

test('failing intent checks make the round FAIL and lead every report', async () => {
  const v = withIntent(await evaluate({ ...readRoundFile(ROUND), intent: facts }), checkIntent(labIntent(lab), facts));
  expect(v.ok).toBe(false);
  expect(v.exitCode).toBe(EXIT.fail);
  expect(v.summary).toMatch(/^the lab is not the one declared \(intent\.node\.node-10\.status, /);
  const term = renderTerminal(v).split('\n');
  const at = term.findIndex((x) => x.startsWith('  ✗ intent.node.node-10.status'));
  expect(term[at]).toBe(
    '  ✗ intent.node.node-10.status: node-10 status/availability: expected ready/active, seen down/active',
  );
  expect(at).toBeGreaterThan(0);
  // Before every path's own lines.
  expect(at).toBeLessThan(term.findIndex((x) => x.startsWith('path ')));
  expect(term[term.length - 1]).toBe('verdict: FAIL (exit 1)');
  expect(Object.keys(v)[0]).toBe('intent');
  const md = renderMarkdown(v);
  expect(md.indexOf('`intent.node.node-10.status`')).toBeGreaterThan(0);
  expect(md.indexOf('`intent.node.node-10.status`')).toBeLessThan(md.search(/## . Request/));
  expect(renderHtml(v).indexOf('intent.node.node-10.status')).toBeLessThan(renderHtml(v).indexOf('class="diagram"'));
  const xml = renderJunit(v);
  expect(xml.indexOf('<testsuite name="intent checks"')).toBeLessThan(xml.indexOf('<testsuite name="ingress: entry'));
  expect(xml).toMatch(
    /classname="swarm-lab\.intent"[^>]*>\s*<failure message="expected ready\/active; seen down\/active" type="intent">/,
  );
});

test('a later real answer (service readable, task history pruned mid-read): the service fields agree, only replicas fails', () => {
  const f = parseIntentOutput(
    read('flux/02-converging.out'),
    'node-10',
    '2026-12-01T14:48:00Z',
    read('flux/02-converging.err'),
  );
  expect(f.tasks.length).toBe(15); // "No such task" for 3 pruned ids; the others are still read
  expect(f.service).toMatchObject({ mode: 'replicated', replicas: 3, endpointMode: 'vip' });
  const checks = checkIntent(labIntent(lab), f);
  expect(checks.filter((c) => !c.ok).map((c) => [c.id, c.seen])).toEqual([
    ['intent.service.replicas', 'replicated, 3 replicas, 0 running'],
  ]);
  const l = clone(lab);
  l.service.publishedPort = 9091;
  expect(failing(l as Lab, f)).toEqual(['intent.service.ports', 'intent.service.replicas']);
});
