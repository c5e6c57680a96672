/**
 * `nft -j list ruleset` read into typed rules, on the real output of the first nftables lab here
 * (debian12-docker29, Docker 29.8.0 with firewall-backend nftables and features.swarm-nftables, node-10
 * after the swarm formed; test/fixtures/nftables). The text form of the same ruleset is the cross-check.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ParseError } from '../../../verify/parse/docker';
import { dnatsForPort, matchWords, parseNftJson } from '../../../verify/parse/nft';
import { hostDnatWords } from '../../../verify/firewall-backend';

const FX = path.resolve(__dirname, '../../fixtures/nftables');
const json = fs.readFileSync(path.join(FX, 'd12k29-node-10-no-service-nft.json'), 'utf8');
const text = fs.readFileSync(path.join(FX, 'd12k29-node-10-no-service-nft.txt'), 'utf8');

test("Docker's tables: iptables-nft's ip/ip6 nat and filter (DOCKER-USER), docker-bridges, docker-overlay", () => {
  const rs = parseNftJson(json);
  expect(rs.tables.map((t) => `${t.family} ${t.name}`)).toEqual([
    'ip nat',
    'ip filter',
    'ip6 nat',
    'ip6 filter',
    'ip docker-bridges',
    'ip6 docker-bridges',
    'ip docker-overlay',
  ]);
  const pre = rs.chains.find((c) => c.family === 'ip' && c.table === 'docker-bridges' && c.name === 'nat-PREROUTING');
  expect(pre).toEqual({
    family: 'ip',
    table: 'docker-bridges',
    name: 'nat-PREROUTING',
    hook: 'prerouting',
    type: 'nat',
    prio: -100,
    policy: 'accept',
  });
});

test('every rule of the text form is read, none half-read', () => {
  const rs = parseNftJson(json);
  // Rule lines of `nft list ruleset`: indented two tabs, not a chain header's `type ...;` nor a map's elements.
  const textRules = text.split('\n').filter((l) => /^\t\t\S/.test(l) && !/^\t\t(type |elements = |typeof )/.test(l));
  expect(rs.rules).toHaveLength(textRules.length);
  expect(rs.rules.filter((r) => r.other.length)).toEqual([
    expect.objectContaining({ table: 'docker-overlay', chain: 'enc-out' }), // meta mark set: a mangle statement
  ]);
});

test('the rules the routing mesh meets on the host, typed', () => {
  const rs = parseNftJson(json);
  const drop = rs.rules.find((r) => r.comment === 'DROP DIRECT ACCESS');
  expect(drop).toMatchObject({ table: 'docker-bridges', chain: 'raw-PREROUTING', verdict: { kind: 'drop' } });
  expect(matchWords(drop!)).toBe('ip daddr == 172.18.0.2, iifname != docker_gwbridge');
  const masq = rs.rules.find((r) => r.chain === 'nat-postrouting-out__docker_gwbridge');
  expect(masq?.nat).toEqual({ kind: 'masquerade' });
  expect(matchWords(masq!)).toBe('oifname != docker_gwbridge, ip saddr == 172.18.0.0/16');
  const jump = rs.rules.find((r) => r.family === 'ip' && r.chain === 'nat-PREROUTING');
  expect(jump).toMatchObject({ verdict: { kind: 'jump', target: 'nat-prerouting-and-output' } });
  expect(matchWords(jump!)).toBe('fib daddr type == local');
  expect(rs.rules.find((r) => r.chain === 'filter-forward-in__docker_gwbridge')?.matches[0]).toEqual({
    left: 'ct state',
    op: 'in',
    right: 'established,related',
  });
});

test('no service published yet: no DNAT for 9090, and the words say so', () => {
  expect(dnatsForPort(parseNftJson(json), 'tcp', 9090)).toEqual([]);
  expect(hostDnatWords('node-10', json, 9090)).toBe('node-10: no DNAT for tcp dport 9090');
  expect(hostDnatWords('node-10', 'table ip nat {', 9090)).toMatch(
    /^node-10: cannot parse nft -j list ruleset: not JSON/,
  );
  expect(() => parseNftJson('{}')).toThrow(ParseError);
});

test('with my-nginx published (second real lab, nft2): the host DNAT for 9090 into ingress_sbox, typed and in words', () => {
  const withService = fs.readFileSync(path.join(FX, 'd12k29-node-10-service-nft.json'), 'utf8');
  const [dnat, ...more] = dnatsForPort(parseNftJson(withService), 'tcp', 9090);
  expect(more).toEqual([]);
  expect(dnat).toMatchObject({
    table: 'docker-bridges',
    chain: 'nat-prerouting-and-output',
    comment: 'DNAT',
    nat: { kind: 'dnat', addr: '172.18.0.2', port: 9090 },
  });
  // The very words verify printed on that lab.
  expect(hostDnatWords('node-10', withService, 9090)).toBe(
    'node-10: ip docker-bridges nat-prerouting-and-output: iifname != docker_gwbridge, tcp dport == 9090 dnat to 172.18.0.2:9090',
  );
});
