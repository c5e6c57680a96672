/** Overlay namespace state: `bridge fdb show dev vxlan0` and `ip -d link show vxlan0`. */

/** MAC -> remote VTEP address, from fdb lines with `dst`. */
export function parseFdb(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s.*\bdst\s+(\d+\.\d+\.\d+\.\d+)/i.exec(line.trim());
    if (m) out.set(m[1].toLowerCase(), m[2]);
  }
  return out;
}

export interface VxlanLink {
  readonly vni?: number;
  readonly dstport?: number;
}

export function parseVxlanLink(text: string): VxlanLink {
  const vni = /\bvxlan id (\d+)/.exec(text);
  const port = /\bdstport (\d+)/.exec(text);
  return { ...(vni ? { vni: Number(vni[1]) } : {}), ...(port ? { dstport: Number(port[1]) } : {}) };
}
