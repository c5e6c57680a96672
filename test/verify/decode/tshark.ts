/** Test helper: ask tshark for fields of every frame (`-T json -e ...`), the reference decoder. */
import { execFileSync } from 'child_process';

export function haveTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export type TsharkFrame = Record<string, string[]>;

/** One entry per frame; each field lists every occurrence (outer layer first, then VXLAN's inner). */
export function tsharkFields(file: string, fields: readonly string[]): TsharkFrame[] {
  const args = ['-r', file, '-n', '-o', 'ip.defragment:FALSE', '-T', 'json'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const json = JSON.parse(out) as Array<{ _source: { layers: TsharkFrame } }>;
  return json.map((x) => x._source.layers);
}
