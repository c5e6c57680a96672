/**
 * The roles' raw probes (one SSH round trip each instead of a dozen module runs) and the files the
 * offline images bake: the probes are real POSIX sh run here under `sh`, and what they print must be
 * the one JSON line the roles parse; the baked files must be byte for byte what the base role would
 * write, or the role rewrites them on every lab.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ANSIBLE_DIR, ansible, expectOk, REPO } from './ansible-run';

const ROLES = path.join(ANSIBLE_DIR, 'roles');
const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

function probe(role: string, env: Record<string, string>): { status: number | null; stdout: string } {
  const r = spawnSync('sh', [path.join(ROLES, role, 'files', 'probe.sh')], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout };
}

test('the base probe prints one JSON line with what the base and docker roles decide on', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-probe-'));
  try {
    fs.writeFileSync(path.join(tmp, 'a.conf'), 'line 1\nline "2"\n');
    const r = probe('base', {
      PROBE_NIC: 'lo',
      PROBE_MODULES: 'no_such_module_x',
      PROBE_SYSCTLS: 'kernel.ostype',
      PROBE_PACKAGES: 'coreutils no-such-package-x',
      PROBE_FILES: `${path.join(tmp, 'a.conf')} ${path.join(tmp, 'missing.conf')}`,
      PROBE_BOOT_TIMEOUT: '0',
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const p = JSON.parse(lines[0]);
    expect(p.boot_finished).toBe(fs.existsSync('/var/lib/cloud/instance/boot-finished'));
    expect(b64(p.os_release)).toMatch(/^ID=/m);
    expect(b64(p.nic)).toMatch(/inet 127\.0\.0\.1\//);
    expect(b64(p.missing_modules).trim()).toBe('no_such_module_x');
    expect(b64(p.sysctls)).toBe('kernel.ostype=Linux');
    expect(b64(p.dpkg)).toMatch(/^coreutils install ok installed$/m);
    expect(b64(p.dpkg)).not.toMatch(/no-such-package-x/);
    expect(p.files.map(b64)).toEqual(['line 1\nline "2"\n', '']);
    expect(typeof p.engine_json).toBe('boolean');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the docker probe fails (so the role retries) while no dockerd answers', () => {
  const r = probe('docker', { PROBE_PYTHON: 'python3', PATH: '/nonexistent:/usr/bin:/bin' });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
});

test('on an active swarm member the docker probe reads the SDK version from its package metadata, never starting Python', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-probe-'));
  try {
    // A docker CLI answering as 20.10.5 on a joined node (the shapes the probe's templates print).
    fs.mkdirSync(path.join(tmp, 'bin'));
    fs.writeFileSync(
      path.join(tmp, 'bin', 'docker'),
      [
        '#!/bin/sh',
        'case $1 in',
        '  version) echo \'{"Client":{"Version":"20.10.5+dfsg1"},"Server":{"Version":"20.10.5+dfsg1"}}\' ;;',
        '  info) printf \'20.10.5+dfsg1\\n{"LocalNodeState":"active"}\\n\' ;;',
        'esac',
      ].join('\n') + '\n',
      { mode: 0o755 },
    );
    // The interpreter fails if it is ever run; beside it Debian's egg-info and a look-alike package.
    const prefix = (name: string, dirs: string[]) => {
      fs.mkdirSync(path.join(tmp, name, 'bin'), { recursive: true });
      fs.writeFileSync(path.join(tmp, name, 'bin', 'python3'), '#!/bin/sh\necho started >&2\nexit 7\n', {
        mode: 0o755,
      });
      for (const d of dirs) fs.mkdirSync(path.join(tmp, name, d), { recursive: true });
      return path.join(tmp, name, 'bin', 'python3');
    };
    const debian = prefix('usr', [
      'lib/python3/dist-packages/docker_compose-1.29.2.egg-info',
      'lib/python3/dist-packages/docker-compose-1.29.2.egg-info',
      'lib/python3/dist-packages/docker-4.1.0.egg-info',
    ]);
    const venv = prefix('venv', ['lib/python3.6/site-packages/docker-5.0.3.dist-info']);
    const none = prefix('bare', []);
    const sdkOf = (py: string) => {
      const r = probe('docker', { PROBE_PYTHON: py, PATH: `${path.join(tmp, 'bin')}:/usr/bin:/bin` });
      expect(r.status).toBe(0);
      const doc = JSON.parse(r.stdout.trim());
      return { sdk: b64(doc.sdk), rc: doc.sdk_rc };
    };
    expect(sdkOf(debian)).toEqual({ sdk: '4.1.0', rc: -1 });
    expect(sdkOf(venv)).toEqual({ sdk: '5.0.3', rc: -1 });
    expect(sdkOf(none)).toEqual({ sdk: '', rc: -1 });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the service probe reads the page exactly, and says when the image and network are missing', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-probe-'));
  try {
    fs.writeFileSync(path.join(tmp, 'index.html'), 'Host IP is 10.211.55.10\n');
    const r = probe('service', {
      PROBE_PAGE: path.join(tmp, 'index.html'),
      PROBE_IMAGE: 'swarm-lab-web:1',
      PROBE_NETWORK: 'ol_network',
      PATH: '/nonexistent:/usr/bin:/bin',
    });
    expect(r.status).toBe(0);
    const p = JSON.parse(r.stdout.trim());
    expect(b64(p.page)).toBe('Host IP is 10.211.55.10\n');
    expect(p.page_rc).toBe(0);
    expect(b64(p.image)).toBe('');
    expect(p.network_rc).not.toBe(0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the offline images bake exactly the module and sysctl files the base role writes', () => {
  const defaults = path.join(ROLES, 'base', 'defaults', 'main.yml');
  const tpl = (f: string): string => path.join(ROLES, 'base', 'templates', f);
  const r = ansible(
    [
      'ansible',
      'localhost',
      '-c',
      'local',
      '-i',
      'localhost,',
      '-m',
      'ansible.builtin.debug',
      '-a',
      `msg={{ {'modules': [base_modules_load_file, lookup('ansible.builtin.template', '${tpl('modules-load.conf.j2')}')], ` +
        `'sysctl': [base_sysctl_file, lookup('ansible.builtin.template', '${tpl('sysctl.conf.j2')}')]} | to_json }}`,
      '-e',
      `@${defaults}`,
    ],
    { ANSIBLE_LOAD_CALLBACK_PLUGINS: '1', ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_CALLBACKS_ENABLED: '' },
    path.join(ROLES, 'base'),
  );
  expectOk(r, 'ansible debug of the base role templates');
  const msg = JSON.parse(JSON.parse(r.stdout).plays[0].tasks[0].hosts.localhost.msg);
  for (const [file, want] of [msg.modules, msg.sysctl] as Array<[string, string]>) {
    const baked = path.join(REPO, 'e2e', 'images', 'rootfs', file);
    expect(fs.readFileSync(baked, 'utf8')).toBe(want);
  }
  expect(msg.modules[1]).toMatch(/^br_netfilter$/m);
});

test('the docker probe reads versions, docker info and the swarm state; the SDK only outside a swarm', () => {
  // dockerd cannot run here: a docker CLI on PATH answers as Docker 20.10.24 does (its real output shapes).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-probe-'));
  try {
    const cli = (swarm: string): void =>
      fs.writeFileSync(
        path.join(tmp, 'docker'),
        [
          '#!/bin/sh',
          'case "$1" in',
          `version) echo '{"Client":{"Version":"20.10.24+dfsg1"},"Server":{"Version":"20.10.24+dfsg1"}}' ;;`,
          `info) printf '%s\\n' '20.10.24+dfsg1' '${swarm}' ;;`,
          'esac',
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
    const run = (): Record<string, unknown> => {
      const r = probe('docker', { PROBE_PYTHON: '/nonexistent/python3', PATH: `${tmp}:/usr/bin:/bin` });
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout.trim());
    };
    cli('{"NodeID":"","LocalNodeState":"inactive","ControlAvailable":false}');
    let p = run();
    expect(JSON.parse(b64(p.version as string)).Server.Version).toBe('20.10.24+dfsg1');
    expect(b64(p.info as string)).toBe('20.10.24+dfsg1');
    expect(JSON.parse(b64(p.swarm as string)).LocalNodeState).toBe('inactive');
    // Outside a swarm the SDK is imported (here it is missing, and the probe says so).
    expect(p.sdk_rc).not.toBe(0);
    expect(p.sdk_rc).not.toBe(-1);
    cli(
      '{"NodeID":"x","LocalNodeState":"active","ControlAvailable":true,"RemoteManagers":[{"Addr":"10.211.55.10:2377"}]}',
    );
    p = run();
    expect(JSON.parse(b64(p.swarm as string)).RemoteManagers[0].Addr).toBe('10.211.55.10:2377');
    expect(p.sdk_rc).toBe(-1);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the docker probe asks for the firewall backend only when told (older CLIs have no such field)', () => {
  // A docker CLI answering as 29.8.0 does with `firewall-backend: nftables` (docker info's FirewallBackend.Driver).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-probe-'));
  try {
    fs.writeFileSync(
      path.join(tmp, 'docker'),
      [
        '#!/bin/sh',
        'case "$1 $3" in',
        `version*) echo '{"Client":{"Version":"29.8.0"},"Server":{"Version":"29.8.0"}}' ;;`,
        `*FirewallBackend*) echo nftables ;;`,
        `info*) printf '%s\\n' '29.8.0' '{"LocalNodeState":"inactive"}' ;;`,
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const run = (firewall: string): Record<string, unknown> => {
      const r = probe('docker', {
        PROBE_PYTHON: '/nonexistent/python3',
        PROBE_FIREWALL: firewall,
        PATH: `${tmp}:/usr/bin:/bin`,
      });
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout.trim());
    };
    expect(b64(run('1').firewall as string)).toBe('nftables');
    expect(b64(run('0').firewall as string)).toBe('');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

describe('a swarm dockerd refuses is one line naming the node, the step and dockerd message', () => {
  // What the Docker SDK (docker_swarm) and the CLI (`docker swarm init` with a data path port) print.
  const SDK =
    'Can not create a new Swarm Cluster: 500 Server Error for http+docker://localhost/v1.41/swarm/init: Internal Server Error ("--firewall-backend=nftables is incompatible with swarm mode")';
  const refused = (result: Record<string, string>, step = 'swarm init'): string => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-refused-'));
    try {
      const play = path.join(tmp, 'play.yml');
      fs.writeFileSync(
        play,
        JSON.stringify([
          {
            hosts: 'localhost',
            connection: 'local',
            gather_facts: false,
            tasks: [
              {
                'ansible.builtin.include_tasks': path.join(ROLES, 'swarm', 'tasks', 'refused.yml'),
                vars: { swarm_refused_step: step, ansible_failed_result: result },
              },
            ],
          },
        ]),
      );
      const r = ansible(['ansible-playbook', '-i', 'localhost,', play], {
        ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
        ANSIBLE_STDOUT_CALLBACK: 'json',
        ANSIBLE_CALLBACKS_ENABLED: '',
      });
      expect(r.status).toBe(2);
      const tasks = JSON.parse(r.stdout).plays[0].tasks;
      return tasks[tasks.length - 1].hosts.localhost.msg;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  };

  test('the nftables refusal (SDK) names the fix', () => {
    expect(refused({ msg: SDK })).toBe(
      'localhost: swarm init refused by dockerd: --firewall-backend=nftables is incompatible with swarm mode; dockerFirewallBackend nftables needs features.swarm-nftables (Docker 29.6.0 or later, written to /etc/docker/daemon.json by the docker role): check that file and docker info, or use dockerFirewallBackend iptables',
    );
  });

  test('the CLI form and another reason keep dockerd words, without the nftables fix', () => {
    expect(
      refused(
        {
          msg: 'non-zero return code',
          stderr: 'Error response from daemon: --live-restore daemon configuration is incompatible with swarm mode',
        },
        'swarm join',
      ),
    ).toBe(
      'localhost: swarm join refused by dockerd: --live-restore daemon configuration is incompatible with swarm mode',
    );
  });
});
