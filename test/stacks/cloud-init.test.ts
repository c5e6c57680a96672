import YAML from 'yaml';
import { CENTOS_VAULT, cloudInitFor, kernelIpArg, type CloudInitProps } from '../../stacks/cloud-init';
import { DEFAULT_LAB, IMAGES, resolveLab } from '../../stacks/lab';
import { macFor } from '../../stacks/names';

// A syntactically plausible key pair; cloud-init only copies the text.
const HOST_PRIV =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n';
const HOST_PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHouF+2qRMIEoiduE7XHO/eGDVgyG6mOBdqE5iCxDCjW root@centos7-18';
const USER_PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID+PVfgumsqNTQ8pux23mg4uDa7a7zIdFmm7nbu/vXnH swarm-lab-user';

function propsFor(image: string, nodeIndex = 1): CloudInitProps {
  const lab = resolveLab({ context: { image }, env: {} });
  const node = lab.nodes[nodeIndex];
  return {
    lab,
    node,
    image: IMAGES[image],
    mac: macFor(lab, node),
    userPublicKey: USER_PUB,
    hostKey: { privateKey: HOST_PRIV, publicKey: HOST_PUB },
  };
}

/** Parse like cloud-init does (PyYAML = YAML 1.1). */
const parse = (s: string) => YAML.parse(s, { version: '1.1' });

describe('cloud-init for CentOS 7.9', () => {
  const p = propsFor('centos7.9');
  const files = cloudInitFor(p);
  const ud = parse(files.userData);
  const nc = parse(files.networkConfig);

  test('user-data is a #cloud-config document', () => {
    expect(files.userData.startsWith('#cloud-config\n')).toBe(true);
  });

  test('yum repos point at vault.centos.org/7.9.2009 (os, updates, extras) and the dead ones are removed', () => {
    expect(Object.keys(ud.yum_repos).sort()).toEqual(['base', 'extras', 'updates']);
    expect(ud.yum_repos.base.baseurl).toBe(`${CENTOS_VAULT}/os/$basearch/`);
    expect(ud.yum_repos.updates.baseurl).toBe(`${CENTOS_VAULT}/updates/$basearch/`);
    expect(ud.yum_repos.extras.baseurl).toBe(`${CENTOS_VAULT}/extras/$basearch/`);
    for (const r of Object.values<Record<string, unknown>>(ud.yum_repos)) {
      expect(r.gpgcheck).toBe(true);
      expect(r.enabled).toBe(true);
    }
    expect(JSON.stringify(ud.bootcmd)).toContain('rm -f /etc/yum.repos.d/CentOS-*.repo');
    expect(files.userData).not.toMatch(/mirrorlist/);
  });

  test('NIC enp0s5 matched by the node MAC with the static address', () => {
    const eth = nc.ethernets.enp0s5;
    expect(nc.version).toBe(2);
    expect(eth.match.macaddress).toBe(p.mac);
    expect(eth['set-name']).toBe('enp0s5');
    expect(eth.addresses).toEqual(['10.211.55.18/24']);
    expect(eth.gateway4).toBe('10.211.55.1');
    expect(eth.dhcp4).toBe(false);
  });

  test('hostname, lab user with sudo and the user key, pinned host key', () => {
    expect(ud.hostname).toBe('centos7-18');
    expect(ud.users[0]).toMatchObject({
      name: 'centos',
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      ssh_authorized_keys: [USER_PUB],
    });
    expect(ud.ssh_keys.ed25519_private).toBe(HOST_PRIV);
    expect(ud.ssh_keys.ed25519_public).toBe(HOST_PUB);
    expect(ud.ssh_deletekeys).toBe(true);
    expect(ud.ssh_pwauth).toBe(false);
    expect(parse(files.metaData)).toEqual({
      'instance-id': 'iid-swarm-lab-centos7-18',
      'local-hostname': 'centos7-18',
    });
  });

  test('/etc/hosts lists every lab node; file mode survives YAML 1.1 (no octal)', () => {
    const hosts = ud.write_files.find((f: { path: string }) => f.path === '/etc/hosts');
    expect(hosts.permissions).toBe('0644');
    for (const n of DEFAULT_LAB.nodes) expect(hosts.content).toContain(`${n.ip} ${n.name}\n`);
  });

  test('a MAC of decimal digits stays a string under YAML 1.1 (no sexagesimal number)', () => {
    const f = cloudInitFor({ ...p, mac: '52:54:00:12:34:56' });
    expect(parse(f.networkConfig).ethernets.enp0s5.match.macaddress).toBe('52:54:00:12:34:56');
  });
});

describe('cloud-init for a Debian lab image', () => {
  const p = propsFor('debian12-docker20', 0);
  const ud = parse(cloudInitFor(p).userData);
  test('root gets the key, no yum repos, same NIC and host key handling', () => {
    expect(ud.users).toEqual([{ name: 'root', ssh_authorized_keys: [USER_PUB] }]);
    expect(ud.disable_root).toBe(false);
    expect(ud.yum_repos).toBeUndefined();
    expect(ud.bootcmd).toBeUndefined();
    expect(ud.ssh_keys.ed25519_public).toBe(HOST_PUB);
    expect(parse(cloudInitFor(p).networkConfig).ethernets.enp0s5.addresses).toEqual(['10.211.55.10/24']);
  });
  test('kernel ip= argument for direct kernel boot', () => {
    expect(kernelIpArg(p.lab, p.node)).toBe('10.211.55.10::10.211.55.1:255.255.255.0:centos7-10:enp0s5:off');
  });
});
