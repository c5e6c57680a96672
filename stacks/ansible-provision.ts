/**
 * AnsibleProvision: runs `ansible-playbook -i <inventory> <playbook>` on the controller once the
 * VMs exist, so `cdktf deploy` alone ends with a working Swarm. A terraform_data resource
 * (built into OpenTofu/Terraform, no provider) carries a local-exec provisioner; its
 * `triggers_replace` holds the node domain ids, the Docker version and the service spec, so a
 * change to any of them re-runs the playbook (it is idempotent), and nothing else does.
 */
import * as path from 'path';
import { Construct, Fn, TerraformData, type ITerraformDependable } from './cdk';
import { q } from './shell';
import type { ServiceSpec } from './lab';

export interface AnsibleProvisionProps {
  /** Absolute path of the generated inventory (stacks/inventory.ts). */
  readonly inventory: string;
  /** Playbook path, absolute or relative to `workingDir`; default `ansible/site.yml`. */
  readonly playbook?: string;
  /** Directory the command runs in; default the repository root (cwd at synth). */
  readonly workingDir?: string;
  /** libvirt domain ids of the nodes (tokens); a replaced VM re-runs the playbook. */
  readonly nodeIds: readonly string[];
  readonly dockerVersion: string;
  readonly service: ServiceSpec;
  /** Extra trigger values (e.g. the image name); default none. */
  readonly extraTriggers?: Readonly<Record<string, string>>;
  /** Resources that must exist first (the domains). */
  readonly dependsOn?: ITerraformDependable[];
  /** Ansible config (roles path, pipelining, ...); default `<workingDir>/ansible/ansible.cfg`. */
  readonly ansibleConfig?: string;
  /** ansible-playbook binary; default `ansible-playbook` on PATH. */
  readonly ansiblePlaybook?: string;
}

/** The exact command line the provisioner runs (exported for tests and docs). */
export function ansibleCommand(p: Pick<AnsibleProvisionProps, 'inventory' | 'playbook' | 'ansiblePlaybook'>): string {
  return `${p.ansiblePlaybook ?? 'ansible-playbook'} -i ${q(p.inventory)} ${q(p.playbook ?? 'ansible/site.yml')}`;
}

export class AnsibleProvision extends Construct {
  readonly run: TerraformData;

  constructor(scope: Construct, id: string, props: AnsibleProvisionProps) {
    super(scope, id);
    const workingDir = props.workingDir ?? process.cwd();
    this.run = new TerraformData(this, 'run', {
      triggersReplace: {
        node_ids: Fn.join(',', [...props.nodeIds]),
        docker_version: props.dockerVersion,
        service: JSON.stringify(props.service),
        ...(props.extraTriggers ?? {}),
      },
      dependsOn: props.dependsOn,
      provisioners: [
        {
          type: 'local-exec',
          command: ansibleCommand(props),
          workingDir,
          environment: {
            // ansible-playbook reads ./ansible.cfg only from its cwd; ours lives in ansible/.
            ANSIBLE_CONFIG: props.ansibleConfig ?? path.join(workingDir, 'ansible', 'ansible.cfg'),
            // Host keys are pinned through the inventory's UserKnownHostsFile; never skip the check.
            ANSIBLE_HOST_KEY_CHECKING: 'True',
            ANSIBLE_NOCOLOR: '1',
            PYTHONUNBUFFERED: '1',
          },
        },
      ],
    });
  }
}
