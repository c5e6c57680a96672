/**
 * Test helper: the "mini lab" round recorded by test/fixtures/pcap/record.sh (real tcpdump
 * captures of the ingress path in namespaces) as RoundData, plus ways to alter it per hop.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { NodeSnapshot, RequestRecord, RoundData, Topology } from '../../../verify/model';
import { capturesInDir } from '../../../verify/engine';

export const FIXTURES = path.join(__dirname, '../../fixtures');
export const LAB_PCAPS = path.join(FIXTURES, 'pcap/minilab');
export const LAB_STATE = path.join(FIXTURES, 'state/minilab');

/** Snapshot text files are `=== <field path>` sections (e.g. `sbox.ipvsadm`, `task.<cid>`). */
export function parseSnapshotText(node: string, text: string): NodeSnapshot {
  const sec: Record<string, string> = {};
  let cur = '';
  for (const line of text.split('\n')) {
    const m = /^=== (\S+)$/.exec(line);
    if (m) {
      cur = m[1];
      sec[cur] = '';
      continue;
    }
    if (cur) sec[cur] += line + '\n';
  }
  const tasks: Record<string, { iptablesSave: string }> = {};
  for (const [k, v] of Object.entries(sec)) if (k.startsWith('task.')) tasks[k.slice(5)] = { iptablesSave: v };
  return {
    node,
    host: { iptablesSave: sec['host.iptablesSave'] ?? '' },
    sbox: {
      iptablesSave: sec['sbox.iptablesSave'] ?? '',
      ipvsadm: sec['sbox.ipvsadm'] ?? '',
      procIpvs: sec['sbox.procIpvs'] ?? '',
      addr: sec['sbox.addr'] ?? '',
    },
    overlay: { fdb: sec['overlay.fdb'] ?? '', vxlanLink: sec['overlay.vxlanLink'] ?? '' },
    tasks,
  };
}

export function loadMiniLab(pcapDir = LAB_PCAPS): RoundData {
  const topology = JSON.parse(fs.readFileSync(path.join(LAB_STATE, 'topology.json'), 'utf8')) as Topology;
  const snapshots = topology.nodes.map((n) =>
    parseSnapshotText(n.name, fs.readFileSync(path.join(LAB_STATE, `${n.name}.txt`), 'utf8')),
  );
  const requests = JSON.parse(fs.readFileSync(path.join(LAB_STATE, 'requests.json'), 'utf8')) as RequestRecord[];
  return { topology, snapshots, captures: capturesInDir(pcapDir), requests };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `swl-${prefix}-`));
}
