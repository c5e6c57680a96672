import {
  BOOT_ANALYSIS_MARK,
  e2eLabFile,
  failureLines,
  FLAVOURS,
  parseArgs,
  parseRecap,
  parseUnitTimes,
  PhaseError,
  splitBootAnalysis,
} from '../../e2e/run';
import { HostError, transientHostError } from '../../e2e/host';
import { resolveLab } from '../../stacks/lab';

describe('e2e runner', () => {
  test('every flavour gets a valid lab on the seed addresses, with its own name and the image Docker version', () => {
    const names = new Set<string>();
    for (const f of FLAVOURS) {
      const lab = resolveLab({ env: {}, context: e2eLabFile(f) });
      names.add(lab.name);
      expect(lab.image).toBe(f);
      expect(lab.nodes.map((n) => n.ip)).toEqual(['10.211.55.10', '10.211.55.18', '10.211.55.22']);
      expect(lab.service.image).toBe('local:swarm-lab-web:1');
      expect(lab.service.publishedPort).toBe(9090);
    }
    expect(names.size).toBe(FLAVOURS.length);
    expect(resolveLab({ env: {}, context: e2eLabFile('debian13-docker26') }).dockerVersion).toBe('26.1.5');
  });

  test('SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND sets the lab file dockerFirewallBackend (absent: Docker default)', () => {
    const saved = process.env.SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND;
    try {
      delete process.env.SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND;
      expect(e2eLabFile('debian12-docker29')).not.toHaveProperty('dockerFirewallBackend');
      process.env.SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND = 'nftables';
      const file = e2eLabFile('debian12-docker29');
      expect(file.dockerFirewallBackend).toBe('nftables');
      expect(resolveLab({ env: {}, context: file }).dockerFirewallBackend).toBe('nftables');
      // On a flavour whose engine cannot, the schema refuses the e2e lab in one line before anything runs.
      expect(() => resolveLab({ env: {}, context: e2eLabFile('debian12-docker25') })).toThrow(
        /^lab config: dockerFirewallBackend: nftables needs Docker 29\.6\.0 or later for a Swarm \(features\.swarm-nftables\), dockerVersion is 25\.0\.5;/,
      );
    } finally {
      if (saved === undefined) delete process.env.SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND;
      else process.env.SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND = saved;
    }
  });

  test('arguments: unknown flavour and option are refused with the allowed values', () => {
    expect(parseArgs(['--flavour', 'debian13-docker26', '--keep-on-failure']).keepOnFailure).toBe(true);
    expect(() => parseArgs(['--flavour', 'centos7.9'])).toThrow(
      /--flavour centos7.9 is unknown; use one of debian11-docker20, debian12-docker20, debian12-docker25/,
    );
    expect(() => parseArgs(['--bogus'])).toThrow(PhaseError);
    expect(() => parseArgs(['--requests', '0'])).toThrow(/1-100/);
  });

  test('node timings come from systemd activation times on the guest clock', () => {
    const out = [
      'Id=ssh.service',
      'ActiveEnterTimestampMonotonic=38712345',
      '',
      'Id=docker.service',
      'ActiveEnterTimestampMonotonic=62712345',
      '',
    ].join('\n');
    expect(parseUnitTimes('node-10', out)).toEqual({ node: 'node-10', bootToSshdS: 38.7, sshdToDockerS: 24 });
    expect(() => parseUnitTimes('node-18', 'Id=ssh.service\nActiveEnterTimestampMonotonic=0\n')).toThrow(
      /node-18: unit times missing/,
    );
  });

  test("the guest's boot analysis after the unit times is split off for boot-<node>.txt", () => {
    const units = 'Id=ssh.service\nActiveEnterTimestampMonotonic=38712345\n';
    const analysis = `${BOOT_ANALYSIS_MARK}\nStartup finished in 6s (kernel) + 30s (userspace) = 36s\n`;
    expect(splitBootAnalysis(units + analysis)).toEqual({ units, analysis });
    expect(splitBootAnalysis(units)).toEqual({ units, analysis: '' });
  });

  test('a failed deploy names the Ansible task error, not the progress noise', () => {
    const log = [
      'e2e  terraform_data.ansible_run (ansible/run) (local-exec): TASK [service : Load] ****',
      'e2e  terraform_data.ansible_run (ansible/run) (local-exec): fatal: [node-10 -> localhost]: FAILED! => {"msg": "non-zero return code"}',
      '0 Stacks deploying     1 Stack done',
      'Invoking Terraform CLI failed with exit code 1',
    ].join('\n');
    expect(failureLines(log)).toMatch(/^fatal: \[node-10 -> localhost\]: FAILED!/);
    expect(failureLines('a\nb\nc', 2)).toBe('b | c');
  });
});

describe('idempotency recap', () => {
  test('PLAY RECAP lines are read per host', () => {
    const text = [
      'PLAY RECAP *********************************************************************',
      'node-10                    : ok=71   changed=0    unreachable=0    failed=0    skipped=45   rescued=0    ignored=0',
      'node-18                    : ok=42   changed=2    unreachable=0    failed=0    skipped=13   rescued=0    ignored=0',
    ].join('\n');
    expect(parseRecap(text)).toEqual([
      { host: 'node-10', ok: 71, changed: 0, unreachable: 0, failed: 0 },
      { host: 'node-18', ok: 42, changed: 2, unreachable: 0, failed: 0 },
    ]);
    expect(parseRecap('no recap here')).toEqual([]);
  });
});

describe('host scripts: which failures get another run (lib/retry)', () => {
  test('a slow daemon or a held lock is transient; a missing tool or a bad name is not', () => {
    const err = (stderr: string, code: number | null = 1) => new HostError('up.sh', 'lab1', code, stderr);
    expect(transientHostError(err('up.sh: libvirtd in swl-lab1 does not answer on /x/sock after 60 s'))).toBe(true);
    expect(transientHostError(err('up.sh: another up/down of lab lab1 holds /x/.lock'))).toBe(true);
    expect(transientHostError(err('', null))).toBe(true);
    expect(transientHostError(err('up.sh: virsh not found; install the Debian packages'))).toBe(false);
    expect(transientHostError(err("up.sh: lab name 'Bad_Name' must be ..."))).toBe(false);
    expect(transientHostError(new Error('does not answer on'))).toBe(false);
  });
});
