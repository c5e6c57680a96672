/**
 * The verify phase on a real lab's output, recorded by `npm run e2e` (test/fixtures/lab/<flavour>/:
 * round.json = the engine's input, transcript.json = every command verify ran and what the node
 * answered, pcaps/ = one capture round). Discovery replays the transcript and must rebuild the very
 * topology and snapshots the live run built; the engine must prove the path on the real pcaps and
 * name the hop when the real state is broken.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readRoundFile, type TranscriptEntry } from '../../../verify/cli';
import { discover, DOCKER_INFO_COMMAND } from '../../../verify/discover';
import { snapshotAll } from '../../../verify/discover-snapshot';
import { discoverClient, snapshotClient } from '../../../verify/discover-client';
import { evaluate } from '../../../verify/engine';
import type { NodeSnapshot, RoundData } from '../../../verify/model';
import { dockerProcesses, replayPool } from '../../harness/transcript-replay';

const LAB_FIXTURES = path.resolve(__dirname, '../../fixtures/lab');
const flavours = fs.readdirSync(LAB_FIXTURES).filter((d) => fs.existsSync(path.join(LAB_FIXTURES, d, 'round.json')));

test('lab fixtures exist (recorded by npm run e2e)', () => {
  expect(flavours).toContain('debian12-docker20');
});

describe.each(flavours)('real lab %s', (flavour) => {
  const dir = path.join(LAB_FIXTURES, flavour);
  let round: RoundData;
  let transcript: TranscriptEntry[];
  beforeAll(() => {
    round = readRoundFile(path.join(dir, 'round.json'));
    transcript = JSON.parse(fs.readFileSync(path.join(dir, 'transcript.json'), 'utf8'));
  });

  test('discovery on the recorded output rebuilds the topology and snapshots of the live run', async () => {
    const nodes = round.topology.nodes.map((n) => ({ name: n.name, ip: n.ip }));
    const pool = replayPool(
      transcript,
      nodes.map((n) => n.name),
    );
    const overlayName = round.topology.userOverlay?.network.name;
    const discovery = await discover(pool, {
      nodes,
      clientIp: round.topology.client.ip,
      service: round.topology.service.name,
      // As the round does when client paths run: the user overlay in the same network inspect.
      ...(overlayName ? { extraNetworks: [overlayName] } : {}),
    });
    const { topology } = discovery;
    const discoverRan = [...pool.ran];
    const { userOverlay: recorded, ...ingressTopology } = round.topology;
    expect({ ...topology, discoveredAt: '' }).toEqual({ ...ingressTopology, discoveredAt: '' });
    expect(topology.ingress.vni).toBe(4096);
    expect(topology.service.tasks).toHaveLength(3);
    expect(new Set(topology.service.tasks.map((t) => t.node)).size).toBe(3);
    // The nodes that got an exec since `from`, one entry per exec.
    const execsSince = (from: number) => pool.ran.slice(from).map((r) => r.node);
    const everyNodeOnce = nodes.map((n) => n.name).sort();
    const snapFrom = pool.ran.length;
    const snapshots = await snapshotAll(pool, topology);
    // One exec per node: a dozen reads as separate execs queued behind sshd's session limit on TCG.
    expect(execsSince(snapFrom).sort()).toEqual(everyNodeOnce);
    // The client paths' part (user overlay, client tasks, their namespaces) when the round has one.
    const strip = ({ client: _c, userOverlay: _u, lb: _l, ...s }: NodeSnapshot) => s;
    expect(snapshots).toEqual(round.snapshots.map(strip));
    if (recorded) {
      const { egressTarget: _e, ...overlay } = recorded;
      const clientProps = {
        nodes: nodes.map((n) => n.name),
        manager: topology.nodes.find((n) => n.leader)!.name,
        service: topology.service.name,
        serviceInfo: discovery.service,
        sandboxKeys: Object.fromEntries(topology.service.tasks.map((t) => [t.containerId, t.sandboxKey])),
        clientService: recorded.clientService,
        overlayNetwork: recorded.network.name,
      };
      // With the ingress discovery's reads (as the round runs it), and reading the networks itself.
      const clientFrom = pool.ran.length;
      expect(await discoverClient(pool, { ...clientProps, reads: discovery.reads })).toEqual(overlay);
      const selfFrom = pool.ran.length;
      expect(await discoverClient(pool, clientProps)).toEqual(overlay);
      // What it cost per node, docker CLI processes and execs (each docker CLI process costs 1-1.5 s of a
      // 1-vCPU TCG guest; the Engine API reads cost a curl each and count none). Before the commands were
      // combined, both discoveries ran 10 docker CLI processes in 24 execs on a worker and 14 in 28 on the
      // manager (one task of each service per node; counted in the debian12-docker29 transcript, 9 and 13
      // in the rounds recorded before the backend was read); then 3 in 5 and 5 in 7 for the ingress
      // discovery before its reads asked the API. The one left is the manager's `docker node ls`.
      const clientRan = pool.ran.slice(clientFrom, selfFrom);
      const selfRan = pool.ran.slice(selfFrom);
      const manager = clientProps.manager;
      const cost = (ran: typeof discoverRan, node: string) => {
        const mine = ran.filter((r) => r.node === node);
        return [mine.reduce((a, r) => a + dockerProcesses(r.command), 0), mine.length];
      };
      for (const n of nodes) {
        const m = n.name === manager;
        expect({
          node: n.name,
          ingress: cost(discoverRan, n.name),
          client: cost(clientRan, n.name),
          clientReadingItself: cost(selfRan, n.name),
        }).toEqual({
          node: n.name,
          ingress: m ? [1, 4] : [0, 3],
          client: [0, 2],
          clientReadingItself: [0, 3],
        });
      }
      // The old recordings hold the single commands: the combined ones were answered from them.
      if (!transcript.some((e) => e.command === DOCKER_INFO_COMMAND)) expect(pool.derived.length).toBeGreaterThan(0);
      const clientSnapFrom = pool.ran.length;
      const extra = await snapshotClient(pool, recorded);
      expect(execsSince(clientSnapFrom).sort()).toEqual(everyNodeOnce);
      for (const x of extra) {
        const s = round.snapshots.find((y) => y.node === x.node)!;
        expect({ node: x.node, client: s.client, userOverlay: s.userOverlay, ...(s.lb ? { lb: s.lb } : {}) }).toEqual(
          x,
        );
      }
    }
  });

  test('the engine proves the path on the real pcaps: every request, every hop, round robin', async () => {
    const v = await evaluate(round);
    const broken = v.requests.flatMap((r) =>
      r.hops.filter((h) => h.status !== 'ok' && !h.optional).map((h) => `${r.index}:${h.id} ${h.status}`),
    );
    expect(broken).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.exitCode).toBe(0);
    expect(v.requests).toHaveLength(round.requests.length);
    const ingress = v.requests.filter((r) => r.path === 'ingress');
    expect(new Set(ingress.map((r) => r.servedNode)).size).toBe(3);
    expect(v.distribution.roundRobin).toBe(true);
    expect(v.state.every((s) => s.status === 'ok')).toBe(true);
    // The host rule layout each engine really had (learned from these rounds, verify/engine/profiles.ts).
    const major = Number(/^(\d+)\./.exec(v.engineVersion)?.[1]);
    expect(v.profile).toBe(
      major >= 29 ? 'docker-gwbridge-portmap' : major >= 28 ? 'docker-forward-chain' : 'docker-legacy-forward',
    );
  });

  test('the same real round with DOCKER-INGRESS DNAT removed on the entry node fails at that hop', async () => {
    const entry = round.requests.find((r) => (r.path ?? 'ingress') === 'ingress')!.entryNode;
    const snapshots = round.snapshots.map((s) =>
      s.node === entry
        ? {
            ...s,
            host: {
              iptablesSave: s.host.iptablesSave
                .split('\n')
                .filter((l) => !/-j DNAT/.test(l))
                .join('\n'),
            },
          }
        : s,
    );
    const v = await evaluate({ ...round, snapshots });
    expect(v.ok).toBe(false);
    expect(v.exitCode).toBe(1);
    expect(v.firstBroken?.hop).toBe('2-entry-host-dnat');
    expect(v.firstBroken?.title).toMatch(/DNAT/);
  });
});
