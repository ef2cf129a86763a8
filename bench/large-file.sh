#!/usr/bin/env bash
# Peak memory and `.svcgen/base` size for a service holding one large generated text file.
#
# The blueprint copies `data/big.txt` (SIZE_MB of text, default 200) without rendering it. The
# service is made with git (`new` commits it), then the blueprint moves to its next minor version
# with a one-line change elsewhere and the service is updated. GNU time's maximum resident set
# size is printed for `new` and `update`, with the size of `.svcgen/base`: a large file is kept in
# the base by its git blob id, so the base stays small whatever the file's size.
#
# usage: bench/large-file.sh [SVCGEN_BINARY]   (default: this checkout built with
#        `--profile dist`)
# env:   SIZE_MB=200, RUNS=3 (the medians of this many runs are printed)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --profile dist --locked --quiet
  bin="${CARGO_TARGET_DIR:-target}/dist/svcgen"
fi
bin=$(realpath "$bin")
size_mb=${SIZE_MB:-200}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost

bp="$work/blueprint"
mkdir -p "$bp/template/data"
cat >"$bp/blueprint.toml" <<'EOF'
[blueprint]
name = "big"
version = "1.0.0"

[files]
copy_without_render = ["data/**"]
EOF
printf 'hello\n' >"$bp/template/README.md"
# Text lines of 100 bytes: a text file, not a binary one.
python3 - "$bp/template/data/big.txt" "$size_mb" <<'EOF'
import sys
line = ("x" * 99 + "\n").encode()
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2]) * 1024 * 1024 // len(line)):
        f.write(line)
EOF
echo "file: $(du -m "$bp/template/data/big.txt" | cut -f1) MiB of text"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
peak_kib() { /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1; cat "$work/rss"; }

new_rss=()
update_rss=()
base_kib=
for run in $(seq 1 "$runs"); do
  sed -i 's/^version = .*/version = "1.0.0"/' "$bp/blueprint.toml"
  printf 'hello\n' >"$bp/template/README.md"
  svc="$work/svc-$run"
  new_rss+=("$(peak_kib "$bin" new svc --no-input --quiet --blueprint "$bp" --output "$svc")")
  sed -i 's/^version = .*/version = "1.1.0"/' "$bp/blueprint.toml"
  printf 'hello again\n' >"$bp/template/README.md"
  update_rss+=("$(peak_kib "$bin" update --no-input --quiet --commit --service "$svc")")
  grep -q 'version = "1.1.0"' "$svc/.svcgen/record.toml" || { echo "update did not reach 1.1.0" >&2; exit 1; }
  base_kib=$(du -k "$svc/.svcgen/base" | cut -f1)
  rm -rf "$svc"
done
echo "new:    peak RSS median $(printf '%s\n' "${new_rss[@]}" | median) KiB (runs: ${new_rss[*]})"
echo "update: peak RSS median $(printf '%s\n' "${update_rss[@]}" | median) KiB (runs: ${update_rss[*]})"
echo ".svcgen/base: $base_kib KiB"
