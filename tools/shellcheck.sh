#!/usr/bin/env bash
# Runs shellcheck on every shell script in the tree (npm run lint): *.sh plus extensionless files with a sh/bash
# shebang (.ci/run). Settings in .shellcheckrc. Generated and vendored trees are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null || {
  echo "shellcheck: not installed; run scripts/deps-debian.sh (Debian package shellcheck)" >&2
  exit 5
}
files=()
while IFS= read -r -d '' f; do
  case $f in
    node_modules/* | .gen/* | .toolchain/* | .cache/* | .lab/* | cdktf.out/* | dist/*) continue ;;
    *.sh) files+=("$f") ;;
    *) [[ -f $f && ! $f =~ \.[a-z]+$ ]] && head -n 1 "$f" | grep -qE '^#!.*[/ ](ba)?sh$' && files+=("$f") ;;
  esac
done < <(if git rev-parse --git-dir >/dev/null 2>&1; then git ls-files -z --cached --others --exclude-standard; else find . -type f -printf '%P\0'; fi)
shellcheck "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
