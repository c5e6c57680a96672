import { annotations } from '../../e2e/junit-annotate';
import { renderJunitXml } from '../../verify/report/junit';

describe('nightly annotations from JUnit', () => {
  test('one ::error per failed case with suite and case in the title; counts in a notice', async () => {
    const xml = renderJunitXml('swarm-lab', [
      {
        name: 'debian13-docker26',
        cases: [
          { name: 'deploy', classname: 'e2e' },
          {
            name: '4 sbox-dnat: ingress_sbox DNAT',
            classname: 'path',
            failure: { type: 'hop', text: 'missing\nseen: none, 100%' },
          },
          { name: 'pcap', classname: 'path', skipped: 'not captured' },
        ],
      },
    ]);
    expect(await annotations(xml, 'summary.xml')).toEqual([
      '::error title=debian13-docker26%3A 4 sbox-dnat%3A ingress_sbox DNAT::missing%0Aseen: none, 100%25',
      '::notice title=summary.xml::3 tests, 1 failed, 1 skipped',
    ]);
  });

  test('a passing report gives only the notice', async () => {
    const xml = renderJunitXml('swarm-lab', [{ name: 's', cases: [{ name: 'a', classname: 'c' }] }]);
    expect(await annotations(xml, 'junit.xml')).toEqual(['::notice title=junit.xml::1 tests, 0 failed, 0 skipped']);
  });
});
