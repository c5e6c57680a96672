/**
 * CDKTF app: resolve the lab (defaults < lab file < cdktf context `lab` < SWARM_LAB_* env) and
 * synthesize its stack. Errors are one line on stderr and exit 1, never a stack trace.
 *   SWARM_LAB_FILE=mylab.yml npx cdktf synth
 *   SWARM_LAB_PROVISION=0    skip the Ansible step (e.g. to run the playbook by hand)
 */
import { App } from './stacks/cdk';
import { resolveLab, type LabOverrides } from './stacks/lab';
import { LabStack, resolveDomainType } from './stacks/lab-stack';
import { preflight } from './stacks/preflight';

function contextOverrides(app: App): LabOverrides | undefined {
  const ctx: unknown = app.node.tryGetContext('lab');
  if (ctx === undefined || ctx === null || ctx === '') return undefined;
  if (typeof ctx === 'string') {
    try {
      return JSON.parse(ctx) as LabOverrides;
    } catch (e) {
      throw new Error(`lab config: context lab: not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  return ctx;
}

function main(): void {
  const app = new App();
  const root = process.cwd();
  const lab = resolveLab({ context: contextOverrides(app) });
  preflight(lab, root);
  const verdict = resolveDomainType(lab, root);
  // stdout: cdktf shows any stderr of the app as an error.
  process.stdout.write(`swarm-lab: lab ${lab.name}: domain type ${verdict.type} (${verdict.reason})\n`);
  new LabStack(app, lab.name, {
    lab,
    root,
    domainType: verdict.type,
    provision: process.env.SWARM_LAB_PROVISION !== '0',
  });
  app.synth();
}

try {
  main();
} catch (e) {
  process.stderr.write(`swarm-lab: ${(e as Error).message.split('\n')[0]}\n`);
  process.exit(1);
}
