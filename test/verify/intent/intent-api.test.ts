/**
 * The intent read asks the Engine API on the manager's socket (curl), and the docker CLI where curl
 * cannot (CentOS 7's curl 7.29 has no --unix-socket). Recorded on a live bookworm lab (Docker
 * 20.10.24, workshop lab wd-1, 2026-12-02): the new script's output and the CLI script's, a minute
 * apart on a steady service, and the new script asked for a service and a network that do not exist.
 * The script's own logic (HTTP errors, the fallback) runs here under sh and bash with stand-in
 * `curl`/`docker` commands, since this machine has no Docker daemon.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { intentCommand, parseIntentOutput, type IntentFacts } from '../../../verify/discover-intent';
import { fluxOf } from '../../../verify/converge';

const DIR = path.resolve(__dirname, '../../fixtures/intent/debian12-docker20/api');
const read = (f: string) => fs.readFileSync(path.join(DIR, f), 'utf8');
const parse = (name: string): IntentFacts =>
  parseIntentOutput(read(`${name}.out`), 'node-10', '2026-12-02T01:14:00Z', read(`${name}.err`));
/** The API lists tasks in its own order; the facts are the same set. */
const byId = (f: IntentFacts) => ({ ...f, tasks: [...f.tasks].sort((a, b) => a.id.localeCompare(b.id)) });

test('the Engine API answer gives the very facts the CLI answer gave on the same lab', () => {
  const api = parse('steady-api');
  const cli = parse('steady-cli');
  expect(byId(api)).toEqual(byId(cli));
  expect(api.nodes.map((n) => `${n.hostname} ${n.role} ${n.engineVersion}`)).toEqual([
    'node-10 manager 20.10.24+dfsg1',
    'node-18 worker 20.10.24+dfsg1',
    'node-22 worker 20.10.24+dfsg1',
  ]);
  expect(api.swarm).toEqual({ dataPathPort: 4789 });
  expect(api.service?.ports).toEqual([
    { protocol: 'tcp', publishedPort: 9090, targetPort: 80, publishMode: 'ingress' },
  ]);
  expect(api.overlay?.name).toBe('ol_network');
  expect(fluxOf(api).converging).toBe(false);
});

test("a missing service or network reads as the daemon's own words, not JSON", () => {
  const f = parse('missing-api');
  expect(f.service).toBeUndefined();
  expect(f.serviceError).toBe('service no-such not found');
  expect(f.overlayError).toBe('network no-net not found');
  expect(f.tasks).toEqual([]);
  // Not a busy manager: the service is missing, judged at once rather than waited for.
  expect(fluxOf(f)).toMatchObject({ converging: false, progress: 'no service' });
});

describe.each(['sh', 'bash'])('the script under %s', (shell) => {
  let bin: string;
  beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-intent-'));
  });
  afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

  const stub = (name: string, body: string) => {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  };
  const runScript = () =>
    spawnSync(shell, ['-c', intentCommand('my-nginx', 'ol_network')], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin` },
    });

  test('answers from the API: 2xx bodies on stdout, an HTTP error exits 1 with the body on stderr', () => {
    // curl -w '\n%{http_code}': the body, a newline, the status.
    stub(
      'curl',
      `for a; do u=$a; done
case $u in
  http://docker/services/*) printf '{"message":"service my-nginx not found"}\\n404' ;;
  http://docker/nodes) printf '[{"ID":"n1","Description":{"Hostname":"node-10"},"Spec":{"Role":"manager"}}]\\n200' ;;
  *) printf '{}\\n200' ;;
esac`,
    );
    stub('docker', 'echo "docker must not run: $*" >&2; exit 99');
    const r = runScript();
    expect(r.stdout).toMatch(/^### rc nodes 0$/m);
    expect(r.stdout).toMatch(/^### rc service 1$/m);
    expect(r.stderr).toContain('service: {"message":"service my-nginx not found"}');
    expect(r.stderr).not.toContain('docker must not run');
    const f = parseIntentOutput(r.stdout, 'node-10', 't', r.stderr);
    expect(f.nodes.map((n) => n.hostname)).toEqual(['node-10']);
    expect(f.serviceError).toBe('service my-nginx not found');
  });

  test('falls back to the docker CLI when curl cannot (exit 2: no --unix-socket)', () => {
    stub('curl', 'echo "curl: option --unix-socket: is unknown" >&2; exit 2');
    const cli = read('steady-cli.out');
    const section = (s: string) => /### \w+\n([\s\S]*?)\n### rc/.exec(cli.slice(cli.indexOf(`### ${s}\n`)))![1];
    // The CLI ends its JSON with a newline.
    fs.writeFileSync(path.join(bin, 'nodes.json'), section('nodes') + '\n');
    fs.writeFileSync(path.join(bin, 'service.json'), section('service') + '\n');
    stub(
      'docker',
      `case "$1 $2" in
  "node ls") echo n1 ;;
  "node inspect") cat ${bin}/nodes.json ;;
  "service inspect") cat ${bin}/service.json ;;
  "service ps") exit 1 ;;
  "info --format") echo '{"Cluster":{"DataPathPort":4789}}' ;;
  *) echo "Error: No such network: ol_network" >&2; exit 1 ;;
esac`,
    );
    const r = runScript();
    const f = parseIntentOutput(r.stdout, 'node-10', 't', r.stderr);
    expect(f.nodes.map((n) => n.hostname)).toEqual(['node-10', 'node-18', 'node-22']);
    expect(f.service?.name).toBe('my-nginx');
    expect(f.swarm).toEqual({ dataPathPort: 4789 });
    expect(f.tasks).toEqual([]);
    expect(f.overlayError).toBe('Error: No such network: ol_network');
  });
});
