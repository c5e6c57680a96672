#!/usr/bin/env bash
# Sourced by the job scripts: Terraform/OpenTofu for cdktf. The project-local OpenTofu and
# provider mirror (built by tools/toolchain.sh), or tofu/terraform from PATH with
# SWARM_LAB_SYSTEM_TF=1. Sets TF_LOCK_ARGS for cdktf deploy/destroy.
TF_LOCK_ARGS=()
if [ "${SWARM_LAB_SYSTEM_TF:-0}" = 1 ]; then
  command -v tofu >/dev/null || command -v terraform >/dev/null ||
    { echo "swarm-lab: SWARM_LAB_SYSTEM_TF=1 but neither tofu nor terraform is on PATH" >&2; exit 1; }
else
  bash tools/toolchain.sh
  # shellcheck source=/dev/null
  source .toolchain/env.sh
  # cdktf's provider lock asks the public registry; the local mirror has what we need.
  # shellcheck disable=SC2034 # read by the scripts that source this file
  TF_LOCK_ARGS=(--skip-provider-lock)
fi
