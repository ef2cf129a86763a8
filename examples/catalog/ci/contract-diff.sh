#!/usr/bin/env bash
# Fails a pull request (merge request) that breaks a contract the service's
# clients or consumers rely on: api/openapi.json and each events/*.json are
# compared with their version on the target branch by `svcgen contract diff`
# (README, "Contracts"). The CI `contract` job runs it:
#
#   ci/contract-diff.sh BRANCH
#
# A contract new on this branch has nothing to compare with; one removed is a
# breaking change. Each breaking change is printed with a JSON pointer into the
# document and why it breaks.
#
# Environment:
#   SVCGEN_CONTRACT_REMOTE  the remote BRANCH is fetched from (default origin)
# Exit codes: 0 compatible, 1 a breaking change, 2 error or bad usage.
set -euo pipefail

say() { printf 'contract-diff: %s\n' "$*" >&2; }
if (($# != 1)) || [[ -z "$1" ]]; then
  echo "usage: $0 BRANCH" >&2
  exit 2
fi
branch="$1"
remote="${SVCGEN_CONTRACT_REMOTE:-origin}"
for tool in git svcgen; do
  command -v "$tool" >/dev/null 2>&1 || {
    say "error: $tool is not on PATH"
    exit 2
  }
done

# A CI checkout may hold only the branch under test.
base="refs/remotes/$remote/$branch"
git fetch --quiet "$remote" "+refs/heads/$branch:$base" || {
  say "error: cannot fetch branch $branch from $remote"
  exit 2
}

is_contract() { [[ "$1" == api/openapi.json || "$1" =~ ^events/[^/]+\.json$ ]]; }

# The contracts on the target branch, then those here, each once.
declare -A seen=()
contracts=()
while IFS= read -r file; do
  is_contract "$file" && [[ -z "${seen[$file]:-}" ]] && seen[$file]=1 && contracts+=("$file")
done < <(
  git ls-tree -r --name-only "$base" -- api/openapi.json events/
  git ls-files -- api/openapi.json 'events/*.json'
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

breaking=0
failed=0
compared=0
for file in "${contracts[@]}"; do
  if ! git cat-file -e "$base:$file" 2>/dev/null; then
    say "$file: new on this branch, nothing to compare with"
    continue
  fi
  if [[ ! -f "$file" ]]; then
    say "$file: removed on this branch; everyone relying on it loses it (breaking)"
    breaking=1
    continue
  fi
  old="$work/$branch/$file"
  mkdir -p "$(dirname "$old")"
  git show "$base:$file" >"$old"
  compared=$((compared + 1))
  status=0
  svcgen contract diff "$old" "$file" || status=$?
  case "$status" in
    0) ;;
    1) breaking=1 ;;
    *) failed=1 ;;
  esac
done

if ((failed)); then
  say "error: a contract could not be compared; svcgen's message is above"
  exit 2
fi
if ((breaking)); then
  say "breaking changes against $branch (above): keep the old contract working, or agree the change with its users"
  exit 1
fi
say "$compared contract(s) compatible with $branch"
