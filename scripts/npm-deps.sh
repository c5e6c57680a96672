#!/usr/bin/env bash
# Install npm dependencies when missing or older than the lockfile (a fresh clone needs nothing else).
# Sourced by the top-level job scripts (lab, e2e); idempotent and quick when up to date.
# A node_modules symlink (a worktree sharing another checkout's) is left alone: npm ci through it
# would empty the shared directory under every other checkout that uses it.
if [ -L node_modules ]; then
  :
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  printf '\n==> npm ci\n'
  npm ci --no-audit --no-fund
fi
