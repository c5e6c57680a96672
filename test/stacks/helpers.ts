/** Shared by the stack tests: build a LabStack in a throwaway lab dir and synthesize it. */
import type {} from 'cdktf/lib/testing/adapters/jest'; // jest matcher types (toHaveResourceWithProperties)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from '../../stacks/cdk';
import { resolveLab, type Lab, type LabOverrides } from '../../stacks/lab';
import { LabStack, type LabStackProps } from '../../stacks/lab-stack';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface SynthedLab {
  readonly lab: Lab;
  readonly stack: LabStack;
  /** Synthesized Terraform JSON (text) of the stack. */
  readonly json: string;
  readonly tf: Record<string, any>;
  readonly tmp: string;
}

/** A lab whose private dir lives under a fresh temp dir; `root` defaults to the repo. */
export function synthLab(overrides: LabOverrides = {}, props: Partial<LabStackProps> = {}): SynthedLab {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swl-stack-'));
  const lab = resolveLab({ context: { labDir: path.join(tmp, 'lab'), ...overrides }, env: {} });
  const app = Testing.app();
  const stack = new LabStack(app, lab.name, { lab, root: REPO_ROOT, domainType: 'qemu', ...props });
  const json = Testing.synth(stack);
  return { lab, stack, json, tf: JSON.parse(json), tmp };
}

/** Resources of one type from synthesized JSON, without cdktf's metadata key. */
export function resourcesOf(tf: Record<string, any>, type: string): Array<Record<string, any>> {
  return Object.values<Record<string, any>>(tf.resource?.[type] ?? {});
}
