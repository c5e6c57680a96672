/**
 * Decoder benchmark (not a test): replicate a recorded VXLAN + TCP capture to >= 200k packets,
 * decode every frame down to VXLAN's inner TCP, print packets/s, and time
 * `tshark -r <file> -T fields -e frame.number` on the same file for a ratio.
 *
 *   npm run bench:decode [-- --packets 200000 --source <pcap>]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { decodePacket, readCapture } from '../verify/decode';

export const BENCH_DECODE_CLI = {
  usage: 'npm run bench:decode --',
  summary: 'Decoder benchmark: replicate a capture to --packets frames, decode them all, compare with tshark.',
  options: {
    packets: { type: 'string', value: 'n', default: '200000', help: 'frames in the generated file' },
    source: {
      type: 'string',
      value: 'pcap',
      help: 'capture to replicate (default test/fixtures/pcap/minilab/centos7-10__host__enp0s5.pcap)',
    },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

function main(argv: readonly string[]): number {
  const a = parseCli(BENCH_DECODE_CLI, argv);
  if (a.help) {
    process.stdout.write(a.text);
    return EXIT.ok;
  }
  const source = a.values.source ?? path.join(__dirname, '../test/fixtures/pcap/minilab/centos7-10__host__enp0s5.pcap');
  const want = Number(a.values.packets);
  if (!Number.isInteger(want) || want < 1)
    throw new SwarmLabError(EXIT.usage, `--packets needs a whole number >= 1, got ${JSON.stringify(a.values.packets)}`);
  const src = readCapture(fs.readFileSync(source));
  if (src.issue || !src.frames.length)
    throw new Error(`bench: cannot use ${source}: ${src.issue?.detail ?? 'no frames'}`);

  // Classic pcap, microseconds, the source's link type; frames repeated with advancing timestamps.
  const parts: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(src.interfaces[0].linkType, 20);
  parts.push(head);
  let n = 0;
  for (let round = 0; n < want; round++) {
    for (const f of src.frames) {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(f.tsSec + round, 0);
      h.writeUInt32LE(Math.floor(f.tsNsec / 1000), 4);
      h.writeUInt32LE(f.data.length, 8);
      h.writeUInt32LE(f.originalLength, 12);
      parts.push(h, Buffer.from(f.data));
      n++;
    }
  }
  const file = path.join(os.tmpdir(), `swl-bench-decode-${process.pid}.pcap`);
  fs.writeFileSync(file, Buffer.concat(parts));
  const size = fs.statSync(file).size;

  try {
    let best = Infinity;
    let tcp = 0;
    let vxlan = 0;
    for (let run = 0; run < 3; run++) {
      const t0 = process.hrtime.bigint();
      const cap = readCapture(fs.readFileSync(file));
      tcp = 0;
      vxlan = 0;
      for (const f of cap.frames) {
        const p = decodePacket(f.linkType, f.data);
        if ((p.inner ?? p).tcp) tcp++;
        if (p.vxlan) vxlan++;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (cap.frames.length !== n) throw new Error(`bench: read ${cap.frames.length} frames, wrote ${n}`);
      best = Math.min(best, ms);
    }
    const ours = n / (best / 1000);
    console.log(`file: ${file} (${n} packets, ${(size / 1048576).toFixed(1)} MiB; ${tcp} TCP, ${vxlan} in VXLAN)`);
    console.log(
      `swarm-lab decode: ${best.toFixed(0)} ms best of 3 -> ${Math.round(ours).toLocaleString('en')} packets/s`,
    );
    const t1 = process.hrtime.bigint();
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 64 << 20,
    });
    const tms = Number(process.hrtime.bigint() - t1) / 1e6;
    if (r.error || r.status !== 0) {
      console.log(
        `tshark: not run (${r.error?.message ?? r.stderr.toString().trim()}); install the Debian package tshark for the ratio`,
      );
    } else {
      const theirs = n / (tms / 1000);
      console.log(
        `tshark -r -T fields -e frame.number: ${tms.toFixed(0)} ms -> ${Math.round(theirs).toLocaleString('en')} packets/s`,
      );
      console.log(`ratio: swarm-lab decode is ${(ours / theirs).toFixed(1)}x tshark`);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
  return EXIT.ok;
}

if (require.main === module) runMain('bench:decode', () => Promise.resolve().then(() => main(process.argv.slice(2))));
