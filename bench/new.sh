#!/usr/bin/env bash
# Times `svcgen new` of the built-in service blueprint, with and without git, with hyperfine
# (median of >= 30 runs), and its peak RSS with GNU time. Each run writes to a fresh directory;
# clean-up happens in hyperfine's --prepare step, outside the timed command.
#
# usage: bench/new.sh [SVCGEN_BINARY]   (default: a release build of this checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/svcgen"
fi
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

files=$("$bin" new probe --no-input --dry-run 2>/dev/null | wc -l)
echo "service blueprint: $files files"
hyperfine --warmup 5 --min-runs 30 --export-markdown "$work/new.md" -N \
  --prepare "rm -rf $work/out" "$bin new catalog --no-input --quiet --output $work/out" \
  --prepare "rm -rf $work/out" "$bin new catalog --no-input --quiet --no-git --output $work/out"
for flag in "" --no-git; do
  rm -rf "$work/out"
  /usr/bin/time -f "peak RSS ${flag:-with git}: %M KiB" "$bin" new catalog --no-input --quiet $flag --output "$work/out"
done
