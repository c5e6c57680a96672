import { describeError, EXIT, SwarmLabError } from '../../lib/exit';

describe('exit codes', () => {
  it('a user error is its one line with the fix and its own code', () => {
    const e = new SwarmLabError(EXIT.state, 'lab e2e-d12k20 is synthesized but not deployed', { fix: 'npm run lab' });
    expect(describeError(e)).toEqual({
      line: 'lab e2e-d12k20 is synthesized but not deployed; fix: npm run lab',
      code: EXIT.state,
    });
  });

  it('several nodes failing at once keep every node on one line and the worst code', () => {
    const e = new AggregateError(
      [new SwarmLabError(EXIT.env, 'node-10: ssh refused'), new SwarmLabError(EXIT.state, 'node-18: not deployed')],
      'discovery failed on 2 node(s)',
    );
    expect(describeError(e)).toEqual({
      line: 'discovery failed on 2 node(s): node-10: ssh refused; node-18: not deployed',
      code: EXIT.env,
    });
  });

  it('an unexpected error shows its first line only and exits as an environment failure', () => {
    expect(describeError(new Error('boom\n    at x'))).toEqual({ line: 'boom', code: EXIT.env });
  });
});
