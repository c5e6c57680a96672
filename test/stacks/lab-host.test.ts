/**
 * `npm run lab`: where the default lab goes (stacks/lab-host.ts). The user's libvirt when it is there
 * and the image can be had; the embedded lab (private libvirtd in its own netns, offline image) when
 * not, saying why; never for a lab the user chose; an error naming both reasons when neither can run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../../lib/exit';
import {
  decideHost,
  embeddedAvailability,
  hostFacts,
  imageAvailability,
  localSocket,
  type HostFacts,
} from '../../stacks/lab-host';
import { resolveLab } from '../../stacks/lab';
import { embeddedLabFile } from '../../scripts/lab-embedded';
import { sshArgs } from '../../stacks/ssh-args';

const ok = { ok: true } as const;
const facts = (f: Partial<HostFacts> = {}): HostFacts => ({
  choice: 'auto',
  socket: { path: '/var/run/libvirt/libvirt-sock', exists: true },
  image: () => ok,
  embedded: ok,
  ...f,
});

describe('decideHost', () => {
  test('libvirtd and the image here: the system libvirt, as before (the image is asked only then)', () => {
    const image = jest.fn(() => ok);
    expect(decideHost(facts({ image }))).toEqual({ host: 'system', why: 'libvirtd and the image are here' });
    expect(image).toHaveBeenCalledTimes(1);
    const none = jest.fn(() => ok);
    decideHost(facts({ socket: { path: '/s', exists: false }, image: none }));
    expect(none).not.toHaveBeenCalled();
  });

  test('no libvirtd socket: the embedded lab, and the line says which socket', () => {
    expect(decideHost(facts({ socket: { path: '/var/run/libvirt/libvirt-sock', exists: false } }))).toEqual({
      host: 'embedded',
      why: 'no system libvirtd (no socket at /var/run/libvirt/libvirt-sock)',
    });
  });

  test('the CentOS image can be neither found nor downloaded: the embedded lab, with the download error', () => {
    const why = 'image centos7.9 cannot be downloaded (curl: (6) Could not resolve host: cloud.centos.org)';
    expect(decideHost(facts({ image: () => ({ ok: false, why }) }))).toEqual({ host: 'embedded', why });
  });

  test('a lab the user chose is never swapped, even without libvirtd (preflight then names the socket)', () => {
    expect(
      decideHost(facts({ explicit: 'SWARM_LAB_FILE', socket: { path: '/x', exists: false }, image: () => ok })),
    ).toEqual({ host: 'system', why: 'the lab is chosen by SWARM_LAB_FILE' });
  });

  test('a deployed embedded lab is used until npm run destroy, even if a libvirtd appears', () => {
    expect(decideHost(facts({ activeEmbedded: 'swarm-lab' })).host).toBe('embedded');
  });

  test('SWARM_LAB_HOST forces either way', () => {
    expect(decideHost(facts({ choice: 'system', socket: { path: '/x', exists: false } })).host).toBe('system');
    expect(decideHost(facts({ choice: 'embedded' }))).toEqual({ host: 'embedded', why: 'SWARM_LAB_HOST=embedded' });
  });

  test('neither can run: one line with both reasons, exit 5', () => {
    let e: unknown;
    try {
      decideHost(
        facts({ socket: { path: '/s', exists: false }, embedded: { ok: false, why: 'it needs root (a network ...)' } }),
      );
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(SwarmLabError);
    expect((e as SwarmLabError).exitCode).toBe(EXIT.env);
    expect((e as SwarmLabError).message).toBe(
      'no system libvirtd (no socket at /s), and the embedded lab cannot start here: it needs root (a network ...)',
    );
  });
});

describe('the facts of this machine', () => {
  test('sockets: system, session, ?socket=, remote', () => {
    expect(localSocket('qemu:///system')).toBe('/var/run/libvirt/libvirt-sock');
    expect(localSocket('qemu:///session', { XDG_RUNTIME_DIR: '/run/user/7' })).toBe('/run/user/7/libvirt/libvirt-sock');
    expect(localSocket('qemu:///system?socket=/x/sock')).toBe('/x/sock');
    expect(localSocket('qemu+ssh://u@h/system')).toBeUndefined();
  });

  test('explicit choices, SWARM_LAB_HOST and the embedded lab of this checkout', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-host-'));
    try {
      const lab = resolveLab({ env: {} });
      const env = { PATH: process.env.PATH };
      expect(hostFacts(lab, root, env)).toMatchObject({
        choice: 'auto',
        socket: { path: '/var/run/libvirt/libvirt-sock' },
      });
      expect(hostFacts(lab, root, { ...env, SWARM_LAB_FILE: 'x.yml' }).explicit).toBe('SWARM_LAB_FILE');
      expect(hostFacts(lab, root, { ...env, CDKTF_CONTEXT_JSON: '{"lab":{"name":"a"}}' }).explicit).toBe(
        'CDKTF_CONTEXT_JSON',
      );
      expect(() => hostFacts(lab, root, { ...env, SWARM_LAB_HOST: 'kvm' })).toThrow(
        'SWARM_LAB_HOST=kvm: use auto, system or embedded',
      );
      fs.mkdirSync(path.join(root, '.lab'));
      fs.writeFileSync(path.join(root, '.lab', 'embedded.env'), "export SWARM_LAB_EMBEDDED='frlab'\n");
      expect(hostFacts(lab, root, env).activeEmbedded).toBe('frlab');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('the embedded host needs root and the libvirt/qemu binaries', () => {
    expect(embeddedAvailability({ PATH: '/nonexistent' }, 1000)).toEqual({
      ok: false,
      why: 'it needs root (a network namespace and a private libvirtd)',
    });
    const r = embeddedAvailability({ PATH: '/nonexistent' }, 0);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.why).toMatch(/^ip, libvirtd, virtlogd, virsh, qemu-system-x86_64, dnsmasq not found/);
  });

  test('image: a cached CentOS image needs no download; a failed download says why', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-img-'));
    try {
      const lab = resolveLab({ env: {} });
      const fetch = jest.fn(() => ({
        status: 1,
        stderr: 'fetch-image: download of https://x failed; fetch it by other means',
      }));
      const r = imageAvailability(lab, root, fetch as never);
      expect(r).toEqual({
        ok: false,
        why: 'image centos7.9 cannot be downloaded (fetch-image: download of https://x failed; fetch it by other means)',
      });
      expect(fetch).toHaveBeenCalledTimes(1);
      const cached = path.join(root, '.cache/images/centos7.9/CentOS-7-x86_64-GenericCloud-2009.qcow2');
      fs.mkdirSync(path.dirname(cached), { recursive: true });
      fs.writeFileSync(cached, '');
      expect(imageAvailability(lab, root, fetch as never)).toEqual({ ok: true });
      expect(fetch).toHaveBeenCalledTimes(1);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the embedded lab', () => {
  test('the offline lab under the default name (or SWARM_LAB_NAME), bookworm unless told', () => {
    const f = embeddedLabFile({});
    expect(f).toMatchObject({
      name: 'swarm-lab',
      image: 'debian12-docker20',
      service: { image: 'local:swarm-lab-web:1' },
    });
    const lab = resolveLab({ context: embeddedLabFile({ SWARM_LAB_NAME: 'frlab' }), env: {} });
    expect(lab.name).toBe('frlab');
    expect(lab.nodes.map((n) => `${n.name}=${n.ip}`)).toEqual([
      'node-10=10.211.55.10',
      'node-18=10.211.55.18',
      'node-22=10.211.55.22',
    ]);
    expect(() => embeddedLabFile({ SWARM_LAB_EMBEDDED_FLAVOUR: 'centos7' })).toThrow(
      /SWARM_LAB_EMBEDDED_FLAVOUR=centos7: use one of .*debian12-docker20/,
    );
  });

  test('npm run ssh: the lab key, pinned known_hosts, the image user; an unknown node names the known ones', () => {
    const lab = resolveLab({ context: embeddedLabFile({ SWARM_LAB_NAME: 'frlab' }), env: {} });
    expect(sshArgs(lab, 'node-10', ['docker', 'node', 'ls'], undefined, '/r')).toEqual([
      '-i',
      '/r/.lab/frlab/id_ed25519',
      '-o',
      'UserKnownHostsFile=/r/.lab/frlab/known_hosts',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ConnectTimeout=10',
      'root@10.211.55.10',
      'docker',
      'node',
      'ls',
    ]);
    expect(sshArgs(lab, 'node-18', [], 'admin', '/r')).toContain('-t');
    expect(() => sshArgs(lab, 'centos7-10', [])).toThrow('no node centos7-10 in lab frlab');
  });
});
