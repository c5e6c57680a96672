import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { LibvirtDomain, LibvirtNetwork, LibvirtVolume, Testing } from '../../stacks/cdk';
import { labPaths } from '../../stacks/lab';
import { macFor } from '../../stacks/names';
import { LabStack } from '../../stacks/lab-stack';
import { REPO_ROOT, resourcesOf, synthLab, type SynthedLab } from './helpers';

Testing.setupJest();

/** Extract one file from a seed ISO with isoinfo (Joliet names), i.e. what the guest will read. */
function isoFile(iso: string, name: string): string {
  return execFileSync('isoinfo', ['-J', '-i', iso, '-x', `/${name}`], { encoding: 'utf8' });
}

const parse = (s: string) => YAML.parse(s, { version: '1.1' });

describe('LabStack synth (default lab: seed topology, CentOS 7.9)', () => {
  let s: SynthedLab;
  beforeAll(() => {
    s = synthLab();
  });
  afterAll(() => fs.rmSync(s.tmp, { recursive: true, force: true }));

  test('isolated network on the lab CIDR, static addressing (no DHCP)', () => {
    expect(s.json).toHaveResourceWithProperties(LibvirtNetwork, {
      name: 'swarm-lab',
      mode: 'none',
      addresses: ['10.211.55.0/24'],
      dhcp: { enabled: false },
    });
    // gateway is the CIDR's first host: no XSLT needed
    expect(resourcesOf(s.tf, 'libvirt_network')[0].xml).toBeUndefined();
  });

  test('three domains with the lab memory, vCPU, type, q35 and a per-node MAC', () => {
    const domains = resourcesOf(s.tf, 'libvirt_domain');
    expect(domains).toHaveLength(3);
    for (const n of s.lab.nodes) {
      expect(s.json).toHaveResourceWithProperties(LibvirtDomain, {
        name: `swarm-lab-${n.name}`,
        memory: 2048,
        vcpu: 1,
        type: 'qemu',
        machine: 'q35',
        network_interface: [expect.objectContaining({ mac: macFor(s.lab, n) })],
      });
    }
    // NIC pinned at PCI slot 5 => enp0s5 in the guest
    expect(domains[0].xml.xslt).toContain('slot="0x05"');
  });

  test('node disks are copy-on-write volumes backed by the base image, which is fetched first', () => {
    const vols = s.tf.resource.libvirt_volume as Record<string, any>;
    const baseKey = Object.keys(vols).find((k) => vols[k].name === 'swarm-lab-base-centos7.9.qcow2')!;
    expect(baseKey).toBeDefined();
    expect(vols[baseKey].source).toMatch(/\.cache\/images\/centos7\.9\/CentOS-7-x86_64-GenericCloud-2009\.qcow2$/);
    expect(vols[baseKey].depends_on).toEqual([expect.stringMatching(/^terraform_data\.image_fetch/)]);
    for (const n of s.lab.nodes) {
      expect(s.json).toHaveResourceWithProperties(LibvirtVolume, {
        name: `swarm-lab-${n.name}.qcow2`,
        format: 'qcow2',
        base_volume_id: `\${libvirt_volume.${baseKey}.id}`,
        size: 20 * 1024 ** 3,
      });
    }
    const fetch = resourcesOf(s.tf, 'terraform_data').find((r) => r.triggers_replace?.url);
    expect(fetch!.triggers_replace.sha256).toBe('e38bab0475cc6d004d2e17015969c659e5a308111851b0e2715e84646035bdd3');
  });

  test('each node boots a cidata seed ISO whose content is its own cloud-init', () => {
    const seeds = resourcesOf(s.tf, 'libvirt_volume').filter((v) => /-seed-[0-9a-f]{12}\.iso$/.test(v.name));
    expect(seeds).toHaveLength(3);
    for (const n of s.lab.nodes) {
      const seed = seeds.find((v) => v.name.startsWith(`swarm-lab-${n.name}-seed-`))!;
      const iso = seed.source as string;
      expect(fs.statSync(iso).mode & 0o777).toBe(0o600);
      expect(execFileSync('isoinfo', ['-d', '-i', iso], { encoding: 'utf8' })).toMatch(/Volume id: cidata/);
      const ud = parse(isoFile(iso, 'user-data'));
      const nc = parse(isoFile(iso, 'network-config'));
      expect(ud.hostname).toBe(n.name);
      expect(Object.keys(ud.yum_repos).sort()).toEqual(['base', 'extras', 'updates']);
      expect(ud.yum_repos.base.baseurl).toContain('vault.centos.org/7.9.2009/os/');
      expect(nc.ethernets.enp0s5['set-name']).toBe('enp0s5');
      expect(nc.ethernets.enp0s5.match.macaddress).toBe(macFor(s.lab, n));
      expect(nc.ethernets.enp0s5.addresses).toEqual([`${n.ip}/24`]);
      // the pinned host key: private half in the seed, public half = the lab's .pub and known_hosts
      const keyFile = path.join(labPaths(s.lab).hostKeys, n.name, 'ssh_host_ed25519_key');
      expect(ud.ssh_keys.ed25519_private).toBe(fs.readFileSync(keyFile, 'utf8'));
      expect(ud.ssh_keys.ed25519_public).toBe(fs.readFileSync(`${keyFile}.pub`, 'utf8').trim());
      expect(fs.readFileSync(labPaths(s.lab).knownHosts, 'utf8')).toContain(
        `${n.name},${n.ip} ${ud.ssh_keys.ed25519_public.split(' ').slice(0, 2).join(' ')}`,
      );
      expect(ud.users[0].ssh_authorized_keys).toEqual([fs.readFileSync(labPaths(s.lab).userKeyPub, 'utf8').trim()]);
      // the domain attaches exactly this seed
      const dom = resourcesOf(s.tf, 'libvirt_domain').find((d) => d.name === `swarm-lab-${n.name}`)!;
      expect(JSON.stringify(dom.disk)).toContain(
        Object.keys(s.tf.resource.libvirt_volume).find((k) => s.tf.resource.libvirt_volume[k] === seed),
      );
    }
  });

  test('no private key material in the synthesized JSON (state only ever sees paths)', () => {
    expect(s.json).not.toMatch(/PRIVATE KEY/);
    const p = labPaths(s.lab);
    const secrets = [p.userKey, ...s.lab.nodes.map((n) => path.join(p.hostKeys, n.name, 'ssh_host_ed25519_key'))];
    for (const f of secrets) {
      expect(fs.statSync(f).mode & 0o777).toBe(0o600);
      // the base64 body of each private key, line by line
      for (const line of fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('-----'))) {
        expect(s.json.includes(line)).toBe(false);
      }
    }
    expect(resourcesOf(s.tf, 'libvirt_cloudinit_disk')).toHaveLength(0);
  });

  test('outputs: names, IPs, ssh user, host-key fingerprints equal to ssh-keygen -l', () => {
    const out = s.tf.output;
    expect(out.node_names.value).toEqual(['centos7-10', 'centos7-18', 'centos7-22']);
    expect(out.node_ips.value).toEqual({
      'centos7-10': '10.211.55.10',
      'centos7-18': '10.211.55.18',
      'centos7-22': '10.211.55.22',
    });
    expect(out.ssh_user.value).toBe('centos');
    expect(out.domain_type.value).toBe('qemu');
    for (const n of s.lab.nodes) {
      const pub = path.join(labPaths(s.lab).hostKeys, n.name, 'ssh_host_ed25519_key.pub');
      const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub], { encoding: 'utf8' }).split(' ')[1];
      expect(out.host_key_fingerprints.value[n.name]).toBe(fp);
    }
  });

  test('the Ansible step runs the playbook with the generated inventory, triggered by ids, Docker version, service', () => {
    const run = resourcesOf(s.tf, 'terraform_data').find((r) => r.triggers_replace?.docker_version)!;
    expect(run.provisioner[0]['local-exec'].command).toBe(
      `ansible-playbook -i '${labPaths(s.lab).inventory}' 'ansible/site.yml'`,
    );
    expect(run.provisioner[0]['local-exec'].working_dir).toBe(REPO_ROOT);
    expect(run.provisioner[0]['local-exec'].environment.ANSIBLE_CONFIG).toBe(
      path.join(REPO_ROOT, 'ansible', 'ansible.cfg'),
    );
    expect(run.triggers_replace.docker_version).toBe('24.0.7');
    expect(run.triggers_replace.node_ids).toMatch(/libvirt_domain\..*\.id/);
    expect(JSON.parse(run.triggers_replace.service)).toMatchObject({
      name: 'my-nginx',
      replicas: 3,
      publishedPort: 9090,
    });
    expect(run.depends_on).toHaveLength(3);
  });

  test('inventory: groups, hosts and vars as agreed with ansible/site.yml', () => {
    const p = labPaths(s.lab);
    const inv = parse(fs.readFileSync(p.inventory, 'utf8'));
    const v = inv.all.vars;
    expect(v).toMatchObject({
      ansible_user: 'centos',
      ansible_become: true,
      ansible_ssh_private_key_file: p.userKey,
      lab_name: 'swarm-lab',
      lab_nic: 'enp0s5',
      image_family: 'centos',
      docker_version: '24.0.7',
      data_path_port: 4789,
      firewall_mode: 'off', // a string for PyYAML too, not false
      service_name: 'my-nginx',
      service_replicas: 3,
      service_published_port: 9090,
      service_target_port: 80,
      service_image: 'nginx:1.25-alpine',
      service_image_tarball: '',
      overlay_network: 'ol_network',
      overlay_subnet: '10.10.0.0/24',
      client_service_enabled: false,
    });
    expect(v.ansible_ssh_common_args).toBe(
      `-o UserKnownHostsFile=${p.knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
    );
    const sw = inv.all.children.swarm.children;
    expect(sw.managers.hosts).toEqual({
      'centos7-10': { ansible_host: '10.211.55.10', node_ip: '10.211.55.10', swarm_role: 'manager' },
    });
    expect(Object.keys(sw.workers.hosts)).toEqual(['centos7-18', 'centos7-22']);
    expect(sw.workers.hosts['centos7-22']).toEqual({
      ansible_host: '10.211.55.22',
      node_ip: '10.211.55.22',
      swarm_role: 'worker',
    });
  });

  test('inventory: each lab dir gets its own ssh control dir, so labs on the same addresses never share a master connection', () => {
    const mine = parse(fs.readFileSync(labPaths(s.lab).inventory, 'utf8')).all.vars.ansible_control_path_dir;
    const other = synthLab({ name: 'other-lab' });
    const theirs = parse(fs.readFileSync(labPaths(other.lab).inventory, 'utf8')).all.vars.ansible_control_path_dir;
    expect(mine).toMatch(/swl-cp-[0-9a-f]{12}$/);
    expect(theirs).not.toBe(mine);
    // Room under the 108-byte unix socket limit for ssh's %C (40 hex chars) plus a separator.
    expect(mine.length + 41).toBeLessThan(108);
  });

  test('synth again reuses the keys: same fingerprints, same seed volumes', () => {
    const again = Testing.synth(
      new LabStack(Testing.app(), s.lab.name, { lab: s.lab, root: REPO_ROOT, domainType: 'qemu' }),
    );
    const tf2 = JSON.parse(again);
    expect(tf2.output.host_key_fingerprints).toEqual(s.tf.output.host_key_fingerprints);
    expect(
      resourcesOf(tf2, 'libvirt_volume')
        .map((v) => v.name)
        .sort(),
    ).toEqual(
      resourcesOf(s.tf, 'libvirt_volume')
        .map((v) => v.name)
        .sort(),
    );
  });
});

describe('LabStack synth variants', () => {
  test('changed cloud-init gives new seed ISOs and volumes; the old ISOs are removed', () => {
    const s = synthLab({}, { provision: false });
    try {
      const seedDir = labPaths(s.lab).cloudInit;
      const before = fs
        .readdirSync(seedDir)
        .filter((f) => f.endsWith('.iso'))
        .sort();
      expect(before).toHaveLength(3);
      const nodes = s.lab.nodes.map((n) => (n.name === 'centos7-22' ? { ...n, ip: '10.211.55.23' } : n));
      const lab2 = { ...s.lab, nodes };
      const tf2 = JSON.parse(
        Testing.synth(
          new LabStack(Testing.app(), lab2.name, { lab: lab2, root: REPO_ROOT, domainType: 'qemu', provision: false }),
        ),
      );
      const after = fs
        .readdirSync(seedDir)
        .filter((f) => f.endsWith('.iso'))
        .sort();
      expect(after).toHaveLength(3);
      expect(after.filter((f) => before.includes(f))).toEqual([]); // /etc/hosts changed on every node
      const seedNames = resourcesOf(tf2, 'libvirt_volume')
        .filter((v) => /-seed-/.test(v.name))
        .map((v) => path.basename(v.source));
      expect(seedNames.sort()).toEqual(after);
    } finally {
      fs.rmSync(s.tmp, { recursive: true, force: true });
    }
  });

  test('Debian lab image: direct kernel boot, root login, no become, local tarball service image', () => {
    const s = synthLab(
      { image: 'debian12-docker20', service: { image: 'local:swarm-lab-web:1' } },
      { provision: false },
    );
    try {
      const vols = s.tf.resource.libvirt_volume as Record<string, any>;
      const kernelKey = Object.keys(vols).find((k) => vols[k].name.endsWith('-vmlinuz'))!;
      expect(vols[kernelKey].source).toMatch(/\.cache\/images\/debian12-docker20\/vmlinuz$/);
      const dom = resourcesOf(s.tf, 'libvirt_domain')[0];
      expect(dom.kernel).toBe(`\${libvirt_volume.${kernelKey}.id}`);
      expect(dom.initrd).toMatch(/^\$\{libvirt_volume\..*initrd.*\.id\}$/);
      // the shape the provider reads back (one map of key=value, then the bare flags): no drift
      expect(dom.cmdline).toEqual([
        {
          console: 'ttyS0',
          ip: '10.211.55.10::10.211.55.1:255.255.255.0:centos7-10:enp0s5:off',
          mitigations: 'off',
          'net.ifnames': '1',
          root: '/dev/vda',
        },
        { _: 'quiet rw' },
      ]);
      expect(resourcesOf(s.tf, 'terraform_data')).toHaveLength(0); // local image: no fetch; provision off: no Ansible
      expect(s.tf.output.ssh_user.value).toBe('root');
      const v = parse(fs.readFileSync(labPaths(s.lab).inventory, 'utf8')).all.vars;
      expect(v.ansible_user).toBe('root');
      expect(v.ansible_become).toBeUndefined();
      expect(v.image_family).toBe('debian');
      expect(v.docker_version).toBe('20.10.24');
      expect(v.service_image_tarball).toMatch(/\.cache\/images\/web\/web\.tar$/);
    } finally {
      fs.rmSync(s.tmp, { recursive: true, force: true });
    }
  });

  test('NAT network, other CIDR and gateway, two managers, kvm with host CPU', () => {
    const s = synthLab(
      {
        name: 'lab-b',
        network: { cidr: '192.168.77.0/24', gateway: '192.168.77.254', clientIp: '192.168.77.2', mode: 'nat' },
        nodes: [
          { name: 'm1', ip: '192.168.77.11', role: 'manager' },
          { name: 'm2', ip: '192.168.77.12', role: 'manager' },
          { name: 'w1', ip: '192.168.77.21', role: 'worker' },
        ],
        vcpu: 2,
        memoryMiB: 1024,
      },
      { domainType: 'kvm' },
    );
    try {
      expect(s.json).toHaveResourceWithProperties(LibvirtNetwork, {
        name: 'lab-b',
        mode: 'nat',
        addresses: ['192.168.77.0/24'],
      });
      expect(resourcesOf(s.tf, 'libvirt_network')[0].xml.xslt).toContain('192.168.77.254');
      expect(s.json).toHaveResourceWithProperties(LibvirtDomain, {
        name: 'lab-b-w1',
        type: 'kvm',
        vcpu: 2,
        memory: 1024,
        cpu: { mode: 'host-passthrough' },
      });
      const inv = parse(fs.readFileSync(labPaths(s.lab).inventory, 'utf8'));
      expect(Object.keys(inv.all.children.swarm.children.managers.hosts)).toEqual(['m1', 'm2']);
      expect(s.tf.output.bridge.value).not.toBe(synthLabBridgeOfDefault());
    } finally {
      fs.rmSync(s.tmp, { recursive: true, force: true });
    }
  });
});

function synthLabBridgeOfDefault(): string {
  const s = synthLab({}, { provision: false });
  try {
    return s.tf.output.bridge.value;
  } finally {
    fs.rmSync(s.tmp, { recursive: true, force: true });
  }
}
