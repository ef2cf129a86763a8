#!/usr/bin/env bash
# Times `svcgen check --all FLEET_FILE` and `svcgen update --all FLEET_FILE --push` over a fleet
# of git repositories behind file:// remotes, with hyperfine, and prints the medians.
#
# The fleet is FLEET_SIZE (default 100) services made from a copy of the built-in service
# blueprint published in a git repository (bench/remote-fleet-lib.sh), each pushed to its own
# bare repository and named in a fleet file; the blueprint then moves to its next minor version.
# svcgen's clones in the cache exist already (one `check --all` ran before), as they do for a
# platform team that runs the fleet every week: `check --all` fetches all 100 and checks them;
# each timed `update --all --push` starts from fresh copies of the remotes and of the cache
# (hyperfine's --prepare step, not timed), fetches, updates on a branch, commits and pushes 100
# branches.
#
# usage: bench/fleet-remotes.sh [SVCGEN_BINARY]   (default: this checkout built with
#        `--profile dist`, the build handed to users)
# env:   RUNS=10, FLEET_SIZE=100, BENCH_ENFORCE=1 (exit 1 when a median misses its target:
#        check --all <= 3 s, update --all --push <= 15 s)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --profile dist --locked --quiet
  bin="${CARGO_TARGET_DIR:-target}/dist/svcgen"
fi
bin=$(realpath "$bin")
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
runs=${RUNS:-10}
size=${FLEET_SIZE:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/remote-fleet-lib.sh
source bench/remote-fleet-lib.sh
make_remote_fleet "$bin" "$work" "$size"
echo "fleet: $size repositories behind file:// remotes, $(nproc) cores"
export XDG_CACHE_HOME="$work/cache"

# Sanity: the fleet is behind (and the cache's clones are made), and an update pushes a branch
# to every repository.
set +e
"$bin" check --all "$work/fleet.toml" --quiet >"$work/table.txt"
status=$?
set -e
[ "$status" = 1 ] || { cat "$work/table.txt"; echo "expected check --all to report the fleet behind, got exit $status" >&2; exit 1; }
[ "$(grep -c ' behind ' "$work/table.txt")" = "$size" ] || { cat "$work/table.txt"; exit 1; }
cp -r "$work/remotes" "$work/pristine-remotes"
cp -r "$work/cache" "$work/pristine-cache"
"$bin" update --all "$work/fleet.toml" --no-input --push --quiet >"$work/table.txt"
[ "$(grep -c 'updated, committed' "$work/table.txt")" = "$size" ] || { cat "$work/table.txt"; exit 1; }
pushed=$(for r in "$work"/remotes/*.git; do git -C "$r" branch --list 'svcgen/*'; done | wc -l)
[ "$pushed" = "$size" ] || { echo "expected $size pushed branches, found $pushed" >&2; exit 1; }

restore="rm -rf $work/remotes $work/cache && cp -r $work/pristine-remotes $work/remotes && cp -r $work/pristine-cache $work/cache"
hyperfine --warmup 1 --min-runs "$runs" -N --ignore-failure \
  --prepare "bash -c '$restore'" \
  --export-json "$work/check.json" \
  "$bin check --all $work/fleet.toml --quiet"
hyperfine --warmup 1 --min-runs "$runs" -N \
  --prepare "bash -c '$restore'" \
  --export-json "$work/update.json" \
  "$bin update --all $work/fleet.toml --no-input --push --quiet"

python3 - "$work/check.json" "$work/update.json" <<'PY'
import json, os, sys
targets = {"check --all FILE": 3.0, "update --all FILE --push": 15.0}
missed = []
for name, path in zip(targets, sys.argv[1:]):
    result = json.load(open(path))["results"][0]
    median = result["median"]
    ok = median <= targets[name]
    cpu = (result["user"] + result["system"]) * 1000
    print(f"median {name}: {median * 1000:.0f} ms over {len(result['times'])} runs "
          f"(target <= {targets[name]:.0f} s: {'met' if ok else 'MISSED'}), "
          f"mean CPU {cpu:.0f} ms")
    if not ok:
        missed.append(name)
if missed and os.environ.get("BENCH_ENFORCE") == "1":
    sys.exit(1)
PY
