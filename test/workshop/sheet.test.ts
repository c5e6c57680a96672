import * as path from 'path';
import { EXERCISES } from '../../exercise/catalogue';
import { labFile, resolveLabFile } from '../../workshop/naming';
import { renderSheetHtml, renderSheetMd, renderTrainerHtml, sshCommand, type SheetFacts } from '../../workshop/sheet';
import { ROOT, type WorkshopHost, type WorkshopPlan } from '../../workshop/state';

const host: WorkshopHost = {
  name: 'h1',
  key: 'ws-h1',
  netns: 'swl-ws-h1',
  libvirtUri: 'qemu:///system?socket=/r/.cache/host/ws-h1/run/libvirt-sock',
  pool: 'swl-ws-h1',
  hostDir: '/r/.cache/host/ws-h1',
  capacity: { host: 'h1', machine: 'vm', cpus: 2, memoryMiB: 24105, availableMiB: 20000, diskFreeGiB: 200 },
};
const lab = resolveLabFile(
  labFile({
    ws: 'ws',
    index: 2,
    flavour: 'debian12-docker20',
    libvirtUri: host.libvirtUri,
    pool: host.pool,
    memoryMiB: 1536,
    diskGiB: 8,
    vcpu: 1,
  }),
);
const facts: SheetFacts = {
  lab,
  host,
  root: '/r',
  status: {
    lab: 'ws-2',
    host: 'h1',
    phase: 'ready',
    since: 'x',
    timings: {},
    verdict: 'PASS',
    verifiedAt: '2026-12-01T16:40:00Z',
    report: path.join(ROOT, '.workshop/ws/labs/ws-2/verify/t1'),
  },
};

describe('attendee sheet and trainer page', () => {
  test('ssh inside the host namespace with the lab key and its pinned known_hosts', () => {
    expect(sshCommand(facts, '10.211.56.10')).toBe(
      'sudo ip netns exec swl-ws-h1 ssh -i /r/.lab/ws-2/id_ed25519 -o UserKnownHostsFile=/r/.lab/ws-2/known_hosts -o StrictHostKeyChecking=yes root@10.211.56.10',
    );
  });

  test('the Markdown sheet: addresses, every node, the client curl, the report, every exercise', () => {
    const md = renderSheetMd(facts);
    expect(md).toContain('Lab network `ws-2` 10.211.56.0/24 on bridge `swl-');
    expect(md).toContain('your client address 10.211.56.2');
    for (const ip of ['10.211.56.10', '10.211.56.18', '10.211.56.22']) expect(md).toContain(`root@${ip}`);
    expect(md).toContain('sudo ip netns exec swl-ws-h1 curl -s http://10.211.56.10:9090/');
    expect(md).toContain(path.join(facts.status!.report!, 'report.html'));
    for (const e of EXERCISES) expect(md).toContain(`\`${e.name}\``);
    expect(md).toContain('last verify **PASS**');
  });

  test('the HTML sheet escapes and keeps the commands; the trainer page lists each lab with state and verdict', () => {
    expect(renderSheetHtml(facts)).toContain('<pre>sudo ip netns exec swl-ws-h1 ssh -i /r/.lab/ws-2/id_ed25519');
    const plan = {
      name: 'ws',
      flavour: 'debian12-docker20',
      rule: 'r',
      hosts: [host],
      labs: [],
    } as unknown as WorkshopPlan;
    const html = renderTrainerHtml(plan, [
      {
        lab: 'ws-1',
        host: 'h1',
        status: {
          lab: 'ws-1',
          host: 'h1',
          phase: 'failed',
          since: 'x',
          timings: {},
          error: { phase: 'deploy', message: 'cdktf <exited> 1' },
        },
      },
      { lab: 'ws-2', host: 'h1', status: facts.status },
    ]);
    expect(html).toContain('<td><a href="labs/ws-1/sheet.html">ws-1</a></td><td>h1</td><td>failed</td>');
    expect(html).toContain('deploy: cdktf &lt;exited&gt; 1');
    expect(html).toContain('<td class="PASS">PASS <a href="labs/ws-2/verify/t1/report.html">report</a></td>');
  });
});
