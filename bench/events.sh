#!/usr/bin/env bash
# Throughput and latency of the event pipeline `svcgen add-event` generates (outbox -> relay ->
# NATS JetStream -> idempotent consumer), with a producer and a consumer built in release mode
# against the local PostgreSQL and a nats-server of its own. Runs the measurement RUNS times and
# reports the median of each figure. See bench/README.md.
#
# usage: bench/events.sh [SVCGEN_BINARY]   (env: RUNS=3 EVENTS=20000 RATE=1000 DURATION=10)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
svcgen=$(realpath "${1:-$here/../target/release/svcgen}")
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/svcgen-bench/target}"
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$svcgen" -q new benchshop --no-input --no-git --set resource=product --output "$work/benchshop"
"$svcgen" -q add-event ProductChanged --service "$work/benchshop" \
  --field name:string --field description:text --field price:cents
"$svcgen" -q new benchfront --no-input --no-git --set example_resource=false --output "$work/benchfront"
"$svcgen" -q add-event ProductChanged --service "$work/benchfront" --consume --from benchshop \
  --schema "$work/benchshop/events/product-changed.v1.json"
for svc in benchshop benchfront; do
  (cd "$work/$svc" && cargo build --release --locked --quiet)
done

for i in $(seq 1 "$runs"); do
  python3 "$here/events_bench.py" \
    --producer "$CARGO_TARGET_DIR/release/benchshop" --consumer "$CARGO_TARGET_DIR/release/benchfront" \
    --events "${EVENTS:-20000}" --rate "${RATE:-1000}" --duration "${DURATION:-10}" | tee -a "$work/runs.jsonl"
  echo "run $i/$runs done" >&2
done

python3 - "$work/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
print(f"\nmedians over {len(runs)} runs (2-core machine; targets: >= 5000 events/s, p99 <= 100 ms at 1000/s)")
for key in ["sustained_events_per_s", "relayed_events_per_s", "rate_achieved_per_s", "latency_p50_ms",
            "latency_p99_ms", "latency_max_ms", "consumer_handle_p99_ms"]:
    print(f"  {key:<24} {statistics.median(r[key] for r in runs)}")
PY
