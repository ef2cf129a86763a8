#!/usr/bin/env bash
# Times `svcgen new` of the built-in service blueprint in three modes (with git, --no-git,
# --dry-run) with hyperfine, and prints per mode the MEDIAN wall time and the median of the peak
# RSS (GNU time's %M, in KiB) over several runs.
#
# Each timed run writes to a directory that does not exist yet: hyperfine's --prepare step moves
# the previous output aside, outside the timed command, and everything is deleted at the end.
# Moved, not deleted, and followed by `sync`: ext4 without a journal (as on this project's CI
# machines) skips every free inode whose inode-table block is dirty or recently freed when it
# allocates one (recently_deleted() in fs/ext4/ialloc.c), so a run that follows hundreds of
# others within the writeback interval spends most of its time walking the inode bitmap: 10 ms
# runs became 30 to 55 ms. A user creating one service does not pay that, so each run starts
# with nothing waiting to be written back.
#
# usage: bench/new.sh [SVCGEN_BINARY]     (default: this checkout built with `--profile dist`,
#                                          the build handed to users)
#   RUNS=50 bench/new.sh                   more runs per mode (default 40)
#   JSON=out.json bench/new.sh             also keep hyperfine's raw results
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --profile dist --locked --quiet
  bin="${CARGO_TARGET_DIR:-target}/dist/svcgen"
fi
bin=$(realpath "$bin")
runs=${RUNS:-40}
for tool in hyperfine jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/new.sh: needs $tool (apt-get install hyperfine jq time)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/out"
# Moves the previous run's output out of the way (see above).
cat >"$work/aside" <<EOF
#!/bin/sh
if [ -e "$out" ]; then mv "$out" "$work/done-\$(date +%s%N)"; fi
sync
EOF

modes=("git:" "no-git:--no-git" "dry-run:--dry-run")
files=$("$bin" new catalog --no-input --dry-run --output "$out" 2>/dev/null | wc -l)
echo "svcgen:            $bin"
echo "service blueprint: $files files"

commands=()
for mode in "${modes[@]}"; do
  flag=${mode#*:}
  commands+=(--prepare "sh $work/aside" --command-name "${mode%%:*}"
    "$bin new catalog --no-input --quiet $flag --output $out")
done
# --dry-run prints the listing on stdout; hyperfine -N discards it.
hyperfine -N --style basic --warmup 5 --min-runs "$runs" --export-json "$work/new.json" "${commands[@]}" >"$work/hyperfine.log" 2>&1 \
  || { cat "$work/hyperfine.log" >&2; exit 1; }
if [ -n "${JSON:-}" ]; then cp "$work/new.json" "$JSON"; fi

# Median of the peak RSS of $runs runs (GNU time reports %M in KiB).
peak_rss() {
  local flag=$1 i
  for ((i = 0; i < runs; i++)); do
    sh "$work/aside"
    /usr/bin/time -f '%M' -o "$work/rss" "$bin" new catalog --no-input --quiet ${flag:+"$flag"} --output "$out" >/dev/null
    cat "$work/rss"
  done | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# CPU is hyperfine's mean user + system time: steadier than wall time on a shared machine.
printf '\n%-10s %12s %12s %12s %12s %6s %14s\n' mode "median ms" "mean ms" "min ms" "cpu ms" runs "peak RSS KiB"
for mode in "${modes[@]}"; do
  name=${mode%%:*} flag=${mode#*:}
  jq -r --arg name "$name" '.results[] | select(.command == $name)
    | [.command, (.median * 1000 * 100 | round / 100), (.mean * 1000 * 100 | round / 100),
       (.min * 1000 * 100 | round / 100), ((.user + .system) * 1000 * 100 | round / 100),
       (.times | length)] | @tsv' "$work/new.json" |
    while IFS=$'\t' read -r n median mean min cpu count; do
      printf '%-10s %12s %12s %12s %12s %6s %14s\n' "$n" "$median" "$mean" "$min" "$cpu" "$count" "$(peak_rss "$flag")"
    done
done
