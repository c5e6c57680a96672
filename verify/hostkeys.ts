/**
 * Host key pinning for verify: read the lab's known_hosts and per-node host key files,
 * and compare the key a server presents (its wire blob) against the pinned ones.
 * No trust on first use: a host without a pin is refused unless the caller opts out.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface PinnedKey {
  readonly type: string;
  /** The public key blob (SSH wire format, base64-decoded). */
  readonly blob: Buffer;
  /** Where the pin came from (file:line), for error messages. */
  readonly source: string;
}

/** `SHA256:<base64 without padding>` as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Pins keyed by host pattern (a name, an IP, or `[ip]:port`); hashed entries kept separately. */
export class HostKeyPins {
  private readonly byHost = new Map<string, PinnedKey[]>();
  private readonly hashed: Array<{ salt: Buffer; hash: Buffer; key: PinnedKey }> = [];

  add(host: string, key: PinnedKey): void {
    const list = this.byHost.get(host) ?? [];
    if (!list.some((k) => k.blob.equals(key.blob))) list.push(key);
    this.byHost.set(host, list);
  }

  /** Parse known_hosts text (plain or hashed `|1|salt|hash` host fields). `@revoked`/`@cert-authority` lines are skipped. */
  addKnownHosts(text: string, source: string): void {
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith('@')) return;
      const [hosts, type, b64] = line.split(/\s+/);
      if (!hosts || !type || !b64) return;
      const key: PinnedKey = { type, blob: Buffer.from(b64, 'base64'), source: `${source}:${i + 1}` };
      for (const h of hosts.split(',')) {
        const m = /^\|1\|([^|]+)\|(.+)$/.exec(h);
        if (m) this.hashed.push({ salt: Buffer.from(m[1], 'base64'), hash: Buffer.from(m[2], 'base64'), key });
        else this.add(h, key);
      }
    });
  }

  /** Pin a `.pub` file (`<type> <base64> [comment]`) for the given host names. */
  addPubFile(file: string, hosts: readonly string[]): void {
    const [type, b64] = fs.readFileSync(file, 'utf8').trim().split(/\s+/);
    for (const h of hosts) this.add(h, { type, blob: Buffer.from(b64, 'base64'), source: file });
  }

  /** Keys pinned for any of the names (node name, IP; `[ip]:port` when port != 22). */
  lookup(names: readonly string[], port = 22): PinnedKey[] {
    const out: PinnedKey[] = [];
    const push = (k: PinnedKey): void => {
      if (!out.some((o) => o.blob.equals(k.blob))) out.push(k);
    };
    for (const n of names) {
      const pattern = port === 22 ? n : `[${n}]:${port}`;
      for (const k of this.byHost.get(pattern) ?? []) push(k);
      for (const e of this.hashed) {
        const h = crypto.createHmac('sha1', e.salt).update(pattern).digest();
        if (h.equals(e.hash)) push(e.key);
      }
    }
    return out;
  }

  get size(): number {
    return this.byHost.size + this.hashed.length;
  }
}

/**
 * Pins for a lab: `known_hosts` in the lab dir plus `host_keys/<node>/ssh_host_*_key.pub`
 * (each pinned for the node's name and IP). Missing files are skipped; an empty result is
 * the caller's problem to report (it names the files it looked for).
 */
export function loadLabPins(
  knownHostsFile: string,
  hostKeysDir: string,
  nodes: ReadonlyArray<{ name: string; ip: string }>,
): HostKeyPins {
  const pins = new HostKeyPins();
  if (fs.existsSync(knownHostsFile)) pins.addKnownHosts(fs.readFileSync(knownHostsFile, 'utf8'), knownHostsFile);
  for (const n of nodes) {
    const dir = path.join(hostKeysDir, n.name);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      if (/^ssh_host_.*_key\.pub$/.test(f)) pins.addPubFile(path.join(dir, f), [n.name, n.ip]);
    }
  }
  return pins;
}
