/**
 * CDKTF app: resolve the lab (defaults < lab file < cdktf context `lab` < SWARM_LAB_* env) and
 * synthesize its stack. Errors are one line on stderr (`swarm-lab: ...`) and the exit code of
 * lib/exit.ts, never a stack trace (SWARM_LAB_DEBUG=1 adds it; cdktf passes no flags to the app).
 * Run it through the scripts, which set the toolchain env and CHECKPOINT_DISABLE=1:
 *   npm run synth                       SWARM_LAB_FILE=mylab.yml npm run synth
 *   npm run lab / npm run destroy       deploy + verify / destroy
 *   CDKTF_CONTEXT_JSON='{"lab":{"service":{"replicas":5}}}' npm run synth
 *   SWARM_LAB_PROVISION=0               skip the Ansible step (e.g. to run the playbook by hand)
 * `npx cdktf synth` alone works after `source .toolchain/env.sh` (or with CHECKPOINT_DISABLE=1 and
 * SWARM_LAB_SYSTEM_TF=1 for your own tofu/terraform); without it the app stops with one line.
 */
import * as fs from 'fs';
import { describeError, EXIT, SwarmLabError } from './lib/exit';
import { App } from './stacks/cdk';
import { LabConfigError, resolveLab, type LabOverrides } from './stacks/lab';
import { LabStack, resolveDomainType } from './stacks/lab-stack';
import { preflight } from './stacks/preflight';

/**
 * cdktf-cli looks up its telemetry host and runs `terraform version` before it starts this app; both
 * are quiet only with the project's env. The app cannot undo what already ran, but it can say, in one
 * line after cdktf's noise, what was missing and how to run it.
 */
export function checkCdktfEnv(env: NodeJS.ProcessEnv): void {
  if (env.CHECKPOINT_DISABLE === '1') return;
  const rc = env.TF_CLI_CONFIG_FILE;
  const noRc =
    rc && !fs.existsSync(rc) ? `; TF_CLI_CONFIG_FILE=${rc} does not exist (the CLI configuration warnings)` : '';
  throw new SwarmLabError(
    EXIT.env,
    `cdktf ran without the project's toolchain env (CHECKPOINT_DISABLE is not 1, so cdktf looked up its telemetry host${noRc})`,
    { fix: 'npm run synth (or npm run lab / npm run destroy), or source .toolchain/env.sh before npx cdktf' },
  );
}

function contextOverrides(app: App): LabOverrides | undefined {
  const ctx: unknown = app.node.tryGetContext('lab');
  if (ctx === undefined || ctx === null || ctx === '') return undefined;
  if (typeof ctx === 'string') {
    try {
      return JSON.parse(ctx) as LabOverrides;
    } catch (e) {
      throw new LabConfigError('context lab', `not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof ctx !== 'object' || Array.isArray(ctx)) {
    throw new LabConfigError('context lab', `${JSON.stringify(ctx)} is not a mapping of lab fields`);
  }
  return ctx;
}

function main(): void {
  checkCdktfEnv(process.env);
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

if (require.main === module) {
  try {
    main();
  } catch (e) {
    const { line, code } = describeError(e);
    process.stderr.write(`swarm-lab: ${line}\n`);
    if (process.env.SWARM_LAB_DEBUG === '1' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exit(code);
  }
}
