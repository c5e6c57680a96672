import { EXIT } from '../../lib/exit';
import { bridgeName } from '../../stacks/names';
import {
  checkHostName,
  checkNoCollision,
  checkWorkshopName,
  hostNetns,
  IFNAME_MAX,
  labAddresses,
  labFile,
  labName,
  MAX_LABS,
  resolveLabFile,
} from '../../workshop/naming';

const file = (index: number, ws = 'ws') =>
  labFile({
    ws,
    index,
    flavour: 'debian12-docker20',
    libvirtUri: 'qemu:///system?socket=/x/run/libvirt-sock',
    pool: 'swl-ws-h1',
    memoryMiB: 1536,
    diskGiB: 8,
    vcpu: 1,
  });

describe('workshop naming: everything derived from the workshop name and the lab index', () => {
  test('lab i: name <ws>-<i>, its own /24 (lab 1 keeps the seed 10.211.55.0/24), the seed host numbers', () => {
    expect(labName('ws', 2)).toBe('ws-2');
    expect(labAddresses(1)).toEqual({
      cidr: '10.211.55.0/24',
      gateway: '10.211.55.1',
      clientIp: '10.211.55.2',
      nodes: [
        { name: 'node-10', ip: '10.211.55.10', role: 'manager' },
        { name: 'node-18', ip: '10.211.55.18', role: 'worker' },
        { name: 'node-22', ip: '10.211.55.22', role: 'worker' },
      ],
    });
    expect(labAddresses(MAX_LABS).cidr).toBe('10.211.94.0/24');
    expect(() => labAddresses(MAX_LABS + 1)).toThrow(/lab index 41 is outside 1-40/);
  });

  test('a lab file goes through the lab model: network, libvirt objects and key dir all follow the lab name', () => {
    const lab = resolveLabFile(file(2));
    expect(lab.name).toBe('ws-2');
    expect(lab.network.name).toBe('ws-2');
    expect(lab.network.cidr).toBe('10.211.56.0/24');
    expect(lab.labDir).toBe('.lab/ws-2');
    expect(lab.pool).toBe('swl-ws-h1');
    expect(lab.nodes.map((n) => n.ip)).toEqual(['10.211.56.10', '10.211.56.18', '10.211.56.22']);
  });

  test('every interface name fits Linux 15 characters, whatever the workshop name', () => {
    for (const ws of ['a', 'wsabcdef', 'z9z9z9z9'])
      for (let i = 1; i <= MAX_LABS; i++)
        expect(bridgeName(resolveLabFile(file(i, ws))).length).toBeLessThanOrEqual(IFNAME_MAX);
  });

  test('40 labs of one workshop share no name, network, bridge or subnet', () => {
    const labs = Array.from({ length: MAX_LABS }, (_, i) => resolveLabFile(file(i + 1)));
    expect(() => checkNoCollision(labs)).not.toThrow();
    expect(() => checkNoCollision([labs[0], labs[0]])).toThrow('labs ws-1 and ws-1 share the name ws-1');
  });

  test('host namespaces: swl-<ws>-<host>', () => {
    expect(hostNetns('ws', 'h2')).toBe('swl-ws-h2');
  });

  test('bad names are one usage line', () => {
    for (const bad of ['', 'Ws', '1ws', 'toolongname', 'w_s']) {
      expect(() => checkWorkshopName(bad)).toThrow(expect.objectContaining({ exitCode: EXIT.usage }));
    }
    expect(() => checkHostName('qemu+ssh://root@h/system')).toThrow(
      '--hosts qemu+ssh://root@h/system: remote libvirt URIs are not driven yet; name simulated hosts (a-z0-9)',
    );
    expect(() => checkHostName('host-1')).toThrow(/a host name is 1-6 characters/);
  });
});
