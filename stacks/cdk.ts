/**
 * The one import seam between the stacks and CDKTF. Every construct imports CDKTF and the
 * generated libvirt bindings from here and nowhere else, so moving to the community fork
 * `cdktn` (cdktf is archived since 2025-12-10) or to `cdktf synth --hcl` touches this file
 * (plus package.json and the generated .gen/), not the stacks.
 */
export { App, Fn, LocalBackend, TerraformOutput, TerraformStack, Testing } from 'cdktf';
export type { ITerraformDependable, LocalExecProvisioner } from 'cdktf';
// terraform_data is built into OpenTofu/Terraform >= 1.4: no provider to install.
export { DataResource as TerraformData } from 'cdktf';
export { Construct } from 'constructs';

export { LibvirtProvider } from '../.gen/providers/libvirt/provider';
export { Network as LibvirtNetwork } from '../.gen/providers/libvirt/network';
export { Volume as LibvirtVolume } from '../.gen/providers/libvirt/volume';
export { Domain as LibvirtDomain } from '../.gen/providers/libvirt/domain';
export type { DomainConfig as LibvirtDomainConfig } from '../.gen/providers/libvirt/domain';
