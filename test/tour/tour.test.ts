import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { tourOfRound } from '../../tour/cli';
import { renderTourHtml } from '../../tour/render';
import { PATHS } from '../../verify/paths';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = ['debian12-docker20', 'debian13-docker26', 'debiansid-docker28'].map((f) =>
  path.join(ROOT, 'test/fixtures/lab', f),
);

describe('tour from a saved real round', () => {
  test.each(FIXTURES)(
    '%s: every ingress hop in path order, with its words, its command and the real pcap line',
    async (dir) => {
      const tour = await tourOfRound(dir);
      expect(tour.map((p) => p.id)).toEqual(PATHS.map((p) => p.id));
      const ingress = tour.find((p) => p.id === 'ingress')!;
      expect(ingress.verdict).toBe('PASS');
      expect(ingress.request?.variant).toBe('remote');
      const ids = ingress.steps.map((s) => s.hop);
      expect(ids.slice(0, 3)).toEqual(['1-entry-host-in', '2-entry-host-dnat', '3-entry-sbox-eth1']);
      expect(ids).toContain('9-entry-host-vxlan-out');
      const first = ingress.steps[0];
      expect(first.command).toBe(`tcpdump -ni enp0s5 -c 5 'tcp port 9090 and host 10.211.55.2'`);
      // The real line from that point's pcap: the client's SYN to the published port.
      expect(first.evidence[0]).toMatch(
        /^\d\d:\d\d:\d\d\.\d+ 10\.211\.55\.2\.\d+ > 10\.211\.55\.10\.9090: Flags \[S\]/,
      );
      expect(first.pcap).toBe('pcaps/node-10__host__enp0s5.pcap');
      expect(fs.existsSync(path.join(dir, first.pcap!))).toBe(true);
      const ipvs = ingress.steps.find((s) => s.hop === '5-entry-sbox-ipvs')!;
      expect(ipvs.command).toBe('nsenter --net=/var/run/docker/netns/ingress_sbox ipvsadm -Ln');
      expect(ipvs.evidence[0]).toMatch(/FWM \d+ rr/);
      const vx = ingress.steps.find((s) => s.hop === '9-entry-host-vxlan-out')!;
      expect(vx.evidence[0]).toMatch(/UDP|vxlan|4789/i);
      for (const s of ingress.steps) expect(s.explanation.length).toBeGreaterThan(20);
      // A path the round holds has its steps and verdict; one it does not hold is listed from the model, without steps.
      const dns = tour.find((p) => p.id === 'dns')!;
      const inRound = JSON.parse(fs.readFileSync(path.join(dir, 'round.json'), 'utf8')).requests.some(
        (r: { path?: string }) => r.path === 'dns',
      );
      if (inRound)
        expect({ steps: dns.steps.length > 0, verdict: dns.verdict }).toEqual({ steps: true, verdict: 'PASS' });
      else expect({ steps: dns.steps, verdict: dns.verdict }).toEqual({ steps: [], verdict: undefined });
    },
  );

  test('the static page has every step with previous/next links and links the pcaps', async () => {
    // The bookworm round with its ingress requests only, so the page also lists the paths it does not hold.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-tour-ingress-'));
    const round = JSON.parse(fs.readFileSync(path.join(FIXTURES[0], 'round.json'), 'utf8'));
    round.requests = round.requests.filter((r: { path?: string }) => (r.path ?? 'ingress') === 'ingress');
    fs.writeFileSync(path.join(dir, 'round.json'), JSON.stringify(round));
    fs.symlinkSync(path.join(FIXTURES[0], 'pcaps'), path.join(dir, 'pcaps'));
    const tour = await tourOfRound(dir);
    const html = renderTourHtml(tour, { source: dir });
    const n = tour.find((p) => p.id === 'ingress')!.steps.length;
    expect(html).toContain(`id="ingress-${n}"`);
    expect(html).toContain('<a href="#ingress-2">next &rarr;</a>');
    expect(html).toContain('<a href="pcaps/node-10__host__enp0s5.pcap">');
    expect(html).toContain('Not in this round');
  });

  test('without a TTY npm run tour prints every step; a bad --path is one usage line', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'swl-tour-')), 'tour.html');
    const r = spawnSync(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        'tour/cli.ts',
        '--round',
        FIXTURES[0],
        '--path',
        'ingress',
        '--html',
        out,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        input: '',
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^== ingress: Published port through the ingress routing mesh \[PASS\]/);
    expect(r.stdout).toContain('── ingress 1/');
    expect(r.stdout).not.toContain('[n]ext');
    expect(fs.readFileSync(out, 'utf8')).toContain('Packet path tour');
    const bad = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'tour/cli.ts', '--round', FIXTURES[0], '--path', 'nope'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(bad.status).toBe(3);
    expect(bad.stderr).toBe(
      'swarm-lab tour: --path nope: unknown; use one of ingress, service-vip, task-to-task, dns, egress\n',
    );
  });
});
