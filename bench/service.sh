#!/usr/bin/env bash
# HTTP throughput and memory of the service `svcgen new` generates, next to a bare axum hello
# world (bench/bare-axum: same axum and tokio versions, same release profile). Both are built in
# release; the service is migrated into a fresh database on the local PostgreSQL and seeded.
#
# Per run, wrk (or oha when wrk cannot be had) loads, one after another on 127.0.0.1:
#   bare-axum GET /livez, service GET /livez, service GET /v1/items?limit=20
# and the script prints, per target, the medians over RUNS of: req/s, p99 latency, server CPU
# per request (utime+stime from /proc/PID/stat over the run, divided by the requests wrk
# completed: the figure least disturbed by other work on the machine), and the highest VmRSS
# seen during the run; plus each server's idle VmRSS right after start-up, and the ratio of the
# service's /livez req/s to bare axum's. Targets (issue 4): ratio >= 90 %, idle RSS <= 15 MiB.
#
# usage: bench/service.sh [SVCGEN_BINARY]   (default: a release build of this checkout)
#   env: RUNS=5 DURATION=10 (seconds per target per run) CONNECTIONS=32 THREADS=1 (wrk threads)
#        SEED_ROWS=1000 BENCH_TARGET_DIR (where the service and bare-axum are built)
#        BLUEPRINT=service (any `svcgen new --blueprint` value: a directory compares another
#        version of the blueprint, e.g. one checked out from an older commit)
#        SERVICE_BINARY (a service already built from the blueprint's defaults: skips generating
#        and building one)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-5}
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
threads=${THREADS:-1}
seed_rows=${SEED_ROWS:-1000}

svcgen=${1:-}
if [ -z "$svcgen" ]; then
  (cd "$here/.." && cargo build --release --locked --quiet)
  svcgen="${CARGO_TARGET_DIR:-$here/../target}/release/svcgen"
fi
svcgen=$(realpath "$svcgen")
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/svcgen-bench/target}"

# The load generator: wrk from Debian, else oha from crates.io. Installed only when missing.
load_tool=wrk
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >&2 || true
  fi
  if ! command -v wrk >/dev/null; then
    load_tool=oha
    command -v oha >/dev/null || cargo install --locked --quiet oha >&2
  fi
fi
for tool in psql curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/service.sh: needs $tool" >&2; exit 1; }
done

work=$(mktemp -d)
db="svcgen_bench_service_$$"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

wait_for() {
  local url=$1
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench/service.sh: $url never answered" >&2
  exit 1
}

service=${SERVICE_BINARY:-}
if [ -z "$service" ]; then
  echo "building (release): the generated service and bare-axum" >&2
  "$svcgen" -q new benchsvc --blueprint "${BLUEPRINT:-service}" --no-input --no-git --output "$work/benchsvc"
  (cd "$work/benchsvc" && nice cargo build --release --locked --quiet)
  service="$CARGO_TARGET_DIR/release/benchsvc"
fi
service=$(realpath "$service")
(cd "$here/bare-axum" && nice cargo build --release --locked --quiet)

PGOPTIONS=--client-min-messages=warning \
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" -c "create database $db" >/dev/null
svc_port=$(free_port)
bare_port=$(free_port)
export APP_ENV=production APP_HOST=127.0.0.1 APP_PORT=$svc_port SHUTDOWN_DRAIN_SECS=0 \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
"$service" migrate >/dev/null
psql -h 127.0.0.1 -U postgres -d "$db" -qc \
  "insert into items (name, description) select 'item ' || n, 'seeded for bench/service.sh' from generate_series(1, $seed_rows) as n" >/dev/null

# Logs go to /dev/null: formatting and writing them is measured, the disk is not.
"$service" serve >/dev/null 2>&1 &
svc_pid=$!
pids+=("$svc_pid")
"$CARGO_TARGET_DIR/release/bare-axum" "127.0.0.1:$bare_port" >/dev/null 2>&1 &
bare_pid=$!
pids+=("$bare_pid")
wait_for "http://127.0.0.1:$svc_port/readyz"
wait_for "http://127.0.0.1:$bare_port/livez"
sleep 1
svc_idle=$(rss_kib "$svc_pid")
bare_idle=$(rss_kib "$bare_pid")
items=$(curl -fsS "http://127.0.0.1:$svc_port/v1/items?limit=20" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
[ "$items" = 20 ] || { echo "bench/service.sh: the list endpoint gave $items items, not 20" >&2; exit 1; }

# load NAME PID URL: one timed run; appends "req/s p99_ms cpu_us_per_req max_rss_kib" to $work/NAME.
load() {
  local name=$1 pid=$2 url=$3 ticks_before ticks_after max_rss=0 rss loader
  local out="$work/$name.out"
  ticks_before=$(cpu_ticks "$pid")
  if [ "$load_tool" = wrk ]; then
    wrk -t "$threads" -c "$connections" -d "${duration}s" --latency "$url" >"$out" &
  else
    oha --no-tui --output-format json -z "${duration}s" -c "$connections" "$url" >"$out" &
  fi
  loader=$!
  while kill -0 "$loader" 2>/dev/null; do
    rss=$(rss_kib "$pid")
    [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    sleep 0.25
  done
  wait "$loader"
  ticks_after=$(cpu_ticks "$pid")
  python3 - "$load_tool" "$out" "$((ticks_after - ticks_before))" "$(getconf CLK_TCK)" "$max_rss" >>"$work/$name" <<'PY'
import json, re, sys
tool, path, ticks, hz, max_rss = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
text = open(path).read()
if tool == "wrk":
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if errors:
        sys.exit(f"{path}: {errors.group(1)} non-2xx responses")
else:
    report = json.loads(text)
    rps = report["summary"]["requestsPerSec"]
    requests = sum(report["statusCodeDistribution"].values())
    p99_ms = report["latencyPercentiles"]["p99"] * 1000
    if set(report["statusCodeDistribution"]) != {"200"}:
        sys.exit(f"{path}: status codes {report['statusCodeDistribution']}")
cpu_us = ticks / hz * 1e6 / max(requests, 1)
print(f"{rps:.0f} {p99_ms:.3f} {cpu_us:.1f} {max_rss}")
PY
}

targets=(
  "bare-livez $bare_pid http://127.0.0.1:$bare_port/livez"
  "service-livez $svc_pid http://127.0.0.1:$svc_port/livez"
  "service-list $svc_pid http://127.0.0.1:$svc_port/v1/items?limit=20"
)
# Interleaved, so load from other work on the machine falls on every target alike.
for ((i = 1; i <= runs; i++)); do
  for target in "${targets[@]}"; do
    # shellcheck disable=SC2086 # "name pid url", split on purpose
    load $target
  done
  echo "run $i/$runs done" >&2
done

col() { awk -v c="$2" '{ print $c }' "$work/$1" | median; }
echo
echo "$load_tool, $runs runs x ${duration}s, $connections connections, $threads thread(s); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %10s %10s %12s %14s\n' target "req/s" "p99 ms" "CPU us/req" "RSS load KiB"
for target in bare-livez service-livez service-list; do
  printf '%-16s %10s %10s %12s %14s\n' "$target" "$(col "$target" 1)" "$(col "$target" 2)" "$(col "$target" 3)" "$(col "$target" 4)"
done
bare_rps=$(col bare-livez 1)
svc_rps=$(col service-livez 1)
echo
awk -v s="$svc_rps" -v b="$bare_rps" 'BEGIN { printf "service /livez req/s = %.1f %% of bare axum (target >= 90 %%)\n", 100 * s / b }'
awk -v s="$(col service-livez 3)" -v b="$(col bare-livez 3)" 'BEGIN { printf "service /livez CPU per request = %.2f x bare axum\n", s / b }'
echo "idle RSS: service $svc_idle KiB ($(awk -v k="$svc_idle" 'BEGIN { printf "%.1f", k / 1024 }') MiB, target <= 15 MiB), bare axum $bare_idle KiB"
