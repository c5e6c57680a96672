/**
 * cloud-init NoCloud documents (user-data, meta-data, network-config) for one lab node.
 * Pure functions of their inputs: no files, no clock, no randomness, so tests parse the YAML.
 *
 * The same shape serves CentOS 7.9 (cloud-init 19.4) and the Debian lab images:
 * - hostname, a static address on the lab NIC matched by MAC and renamed to `lab.network.nic`
 *   (network-config v2: `match.macaddress` + `set-name`),
 * - the lab user's public key, and a pre-generated ed25519 host key (`ssh_keys`) so verify and
 *   Ansible pin it (no trust on first use),
 * - CentOS only: yum repos moved to vault.centos.org/7.9.2009 (the mirrorlist died in 2024).
 */
import YAML from 'yaml';
import { netmaskOf, parseCidr, type ImageSpec, type Lab, type LabNode } from './lab';

/** CentOS 7.9.2009 lives on only in the vault. Plain http + gpgcheck: the 2020 image's CA bundle
 * and openssl 1.0.2 are unreliable against today's TLS chains; packages are GPG-verified. */
export const CENTOS_VAULT = 'http://vault.centos.org/7.9.2009';
export const CENTOS_GPG_KEY = 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-7';

export interface CloudInitProps {
  readonly lab: Lab;
  readonly node: LabNode;
  readonly image: ImageSpec;
  /** MAC of the lab NIC (see names.macFor); cloud-init matches the NIC by it. */
  readonly mac: string;
  /** OpenSSH public key line of the lab user key. */
  readonly userPublicKey: string;
  /** The node's pre-generated ed25519 host key (OpenSSH private key text + public line). */
  readonly hostKey: { readonly privateKey: string; readonly publicKey: string };
  /** DNS servers for the guest; default: the lab gateway (libvirt's dnsmasq on the bridge). */
  readonly nameservers?: readonly string[];
}

export interface CloudInitFiles {
  readonly userData: string;
  readonly metaData: string;
  readonly networkConfig: string;
}

/** The yum repos CentOS 7.9 needs after EOL: os, updates, extras from the vault. */
export function centosVaultRepos(): Record<string, Record<string, string | boolean>> {
  const repo = (id: string, title: string) => ({
    name: `CentOS-7.9.2009 - ${title} (vault)`,
    baseurl: `${CENTOS_VAULT}/${id}/$basearch/`,
    enabled: true,
    gpgcheck: true,
    gpgkey: CENTOS_GPG_KEY,
  });
  return { base: repo('os', 'Base'), updates: repo('updates', 'Updates'), extras: repo('extras', 'Extras') };
}

/** /etc/hosts with every lab node, so names resolve to lab addresses without DNS. */
export function etcHosts(lab: Lab): string {
  return [
    '127.0.0.1 localhost localhost.localdomain',
    '::1 localhost localhost.localdomain ip6-localhost ip6-loopback',
    ...lab.nodes.map((n) => `${n.ip} ${n.name}`),
    '',
  ].join('\n');
}

export function userDataDoc(p: CloudInitProps): Record<string, unknown> {
  const { lab, node, image } = p;
  const root = image.sshUser === 'root';
  const user: Record<string, unknown> = root
    ? { name: 'root', ssh_authorized_keys: [p.userPublicKey] }
    : {
        name: image.sshUser,
        gecos: `${lab.name} lab user`,
        groups: image.family === 'centos' ? ['wheel'] : ['sudo'],
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        shell: '/bin/bash',
        lock_passwd: true,
        ssh_authorized_keys: [p.userPublicKey],
      };
  const doc: Record<string, unknown> = {
    hostname: node.name,
    fqdn: node.name,
    preserve_hostname: false,
    // We write /etc/hosts ourselves (all lab nodes), so cloud-init must not template it.
    manage_etc_hosts: false,
    users: [user],
    // root logins stay usable on the Debian lab images (their sshUser is root).
    disable_root: !root,
    ssh_pwauth: false,
    // Replace whatever host keys the image has with the pinned one.
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: {
      ed25519_private: p.hostKey.privateKey.endsWith('\n') ? p.hostKey.privateKey : p.hostKey.privateKey + '\n',
      ed25519_public: p.hostKey.publicKey.trim(),
    },
    write_files: [{ path: '/etc/hosts', permissions: '0644', owner: 'root:root', content: etcHosts(lab) }],
  };
  if (image.family === 'centos') {
    // bootcmd runs before the config modules: drop the stock repo files (dead mirrorlist, same
    // repo ids) so yum sees only the vault repos below.
    doc.bootcmd = [['sh', '-c', 'rm -f /etc/yum.repos.d/CentOS-*.repo']];
    doc.yum_repos = centosVaultRepos();
  }
  return doc;
}

export function networkConfigDoc(p: CloudInitProps): Record<string, unknown> {
  const { lab, node } = p;
  const bits = parseCidr(lab.network.cidr)?.bits;
  if (bits === undefined) throw new Error(`lab ${lab.name}: network.cidr ${lab.network.cidr} is not a CIDR`);
  return {
    version: 2,
    ethernets: {
      [lab.network.nic]: {
        match: { macaddress: p.mac },
        'set-name': lab.network.nic,
        dhcp4: false,
        dhcp6: false,
        addresses: [`${node.ip}/${bits}`],
        // gateway4: understood by CentOS 7's cloud-init 19.4 and (deprecated but accepted) by newer ones.
        gateway4: lab.network.gateway,
        nameservers: { addresses: [...(p.nameservers ?? [lab.network.gateway])] },
      },
    },
  };
}

export function metaDataDoc(p: CloudInitProps): Record<string, unknown> {
  // Stable per lab+node: the disk is replaced when cloud-init content changes, so per-instance
  // modules run on the new disk anyway.
  return { 'instance-id': `iid-${p.lab.name}-${p.node.name}`, 'local-hostname': p.node.name };
}

// No folding of long lines (keys); YAML 1.1 quoting because cloud-init parses with PyYAML (1.1:
// unquoted off/yes/0644 would turn into booleans and octal numbers).
const yamlOpts = { lineWidth: 0, version: '1.1' } as const;

/** All three NoCloud documents as text. */
export function cloudInitFor(p: CloudInitProps): CloudInitFiles {
  return {
    userData: '#cloud-config\n' + YAML.stringify(userDataDoc(p), yamlOpts),
    metaData: YAML.stringify(metaDataDoc(p), yamlOpts),
    networkConfig: YAML.stringify(networkConfigDoc(p), yamlOpts),
  };
}

/** Kernel `ip=` argument for direct kernel boot (Debian lab images configure the NIC early from it). */
export function kernelIpArg(lab: Lab, node: LabNode): string {
  return `${node.ip}::${lab.network.gateway}:${netmaskOf(lab.network.cidr)}:${node.name}:${lab.network.nic}:off`;
}
