/**
 * SSH key material of a lab: the user key (Ansible and verify log in with it) and one
 * pre-generated ed25519 host key per node, so verify pins host keys instead of trusting on
 * first use. Private halves live only in files with mode 0600 under the lab directory; they are
 * read at synth time into the cloud-init seed ISO, never into Terraform state or synth JSON.
 * Existing keys are reused, so re-running synth keeps the same identities.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { utils } from 'ssh2';
import type { Lab, LabPaths } from './lab';

export interface KeyPair {
  /** Path of the private key file (mode 0600). */
  readonly privatePath: string;
  /** OpenSSH public key line: `ssh-ed25519 AAAA... comment`. */
  readonly publicKey: string;
}

export interface HostKey extends KeyPair {
  readonly node: string;
  /** OpenSSH-style fingerprint, `SHA256:<base64 without padding>`. */
  readonly fingerprint: string;
}

/** `SHA256:...` fingerprint of an OpenSSH public key line, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(publicKey: string): string {
  const blob = publicKeyBlob(publicKey);
  return 'SHA256:' + crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The wire-format blob of an OpenSSH public key line (the base64 field). */
export function publicKeyBlob(publicKey: string): Buffer {
  const parts = publicKey.trim().split(/\s+/);
  if (parts.length < 2 || !/^ssh-|^ecdsa-/.test(parts[0])) {
    throw new Error(`not an OpenSSH public key line: "${publicKey.slice(0, 40)}..."`);
  }
  return Buffer.from(parts[1], 'base64');
}

/** Private key path of a node's host key. */
export function hostKeyPath(paths: LabPaths, node: string): string {
  return path.join(paths.hostKeys, node, 'ssh_host_ed25519_key');
}

/**
 * Load the key pair at `privatePath` (+ `.pub`), generating an ed25519 pair when absent.
 * A private key without its public half (or a public key without a private one) is an error:
 * silently regenerating would change a pinned identity.
 */
export function ensureKeyPair(privatePath: string, comment: string): KeyPair {
  const pubPath = `${privatePath}.pub`;
  const havePriv = fs.existsSync(privatePath);
  const havePub = fs.existsSync(pubPath);
  if (havePriv && havePub) {
    const mode = fs.statSync(privatePath).mode & 0o777;
    if (mode & 0o077) fs.chmodSync(privatePath, 0o600); // ssh refuses group/world-readable keys
    return { privatePath, publicKey: fs.readFileSync(pubPath, 'utf8').trim() };
  }
  if (havePriv !== havePub) {
    throw new Error(
      `key pair ${privatePath} is incomplete (${havePriv ? '.pub' : 'private key'} missing); ` +
        'delete both files to generate a new identity, or restore the missing half',
    );
  }
  fs.mkdirSync(path.dirname(privatePath), { recursive: true, mode: 0o700 });
  const kp = utils.generateKeyPairSync('ed25519', { comment });
  // `wx`: never overwrite a key another process wrote meanwhile.
  fs.writeFileSync(privatePath, kp.private, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(pubPath, kp.public.trim() + '\n', { mode: 0o644, flag: 'wx' });
  return { privatePath, publicKey: kp.public.trim() };
}

/** The lab's SSH user key (`<labDir>/id_ed25519`). */
export function ensureUserKey(lab: Lab, paths: LabPaths): KeyPair {
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  return ensureKeyPair(paths.userKey, `${lab.name}-user`);
}

/** One host key per node (`<labDir>/host_keys/<node>/ssh_host_ed25519_key`). */
export function ensureHostKeys(lab: Lab, paths: LabPaths): HostKey[] {
  return lab.nodes.map((n) => {
    const kp = ensureKeyPair(hostKeyPath(paths, n.name), `root@${n.name}`);
    return { ...kp, node: n.name, fingerprint: fingerprintOf(kp.publicKey) };
  });
}

/** known_hosts lines pinning each node's host key under its name and its IP. */
export function knownHostsText(lab: Lab, hostKeys: readonly HostKey[]): string {
  const byNode = new Map(hostKeys.map((h) => [h.node, h]));
  return (
    lab.nodes
      .map((n) => {
        const h = byNode.get(n.name);
        if (!h) throw new Error(`no host key for node ${n.name}`);
        const [type, b64] = h.publicKey.split(/\s+/);
        return `${n.name},${n.ip} ${type} ${b64}`;
      })
      .join('\n') + '\n'
  );
}

export function writeKnownHosts(lab: Lab, paths: LabPaths, hostKeys: readonly HostKey[]): string {
  writeFileAtomic(paths.knownHosts, knownHostsText(lab, hostKeys), 0o644);
  return paths.knownHosts;
}

/** Write via a temp file + rename so readers never see a half-written file. */
export function writeFileAtomic(file: string, content: string | Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}
