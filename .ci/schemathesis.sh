#!/usr/bin/env bash
# Fuzzes a generated service (with the example resource) against its own OpenAPI document with
# schemathesis: no response may be a 5xx, every status must be one the document lists for the
# operation, and every body must match the documented schema. Positive and negative data, NUL
# characters in strings included, from the document's examples, its coverage phase, random
# fuzzing and stateful sequences (create, then read/update/delete what was created).
#
# usage: schemathesis.sh SVCGEN_BINARY
set -euo pipefail

svcgen=$1
cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
# Pinned: a new release may add checks or change what they accept; bump it on purpose.
schemathesis_version=4.32.5
venv="$cache/schemathesis-$schemathesis_version"
# Bounds for the run: examples per operation, and a wall-clock limit for all of it.
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
time_limit_secs=${SCHEMATHESIS_TIME_LIMIT_SECS:-300}

export CARGO_TARGET_DIR="$cache/target-generated"
work=$(mktemp -d)
server_pid=
db=svcgen_ci_schemathesis
cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "schemathesis: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Installs the pinned schemathesis once; a venv holding another version, or a broken one, is
# replaced.
if [ "$("$venv/bin/python" -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null)" != "$schemathesis_version" ]; then
  echo "--- installing schemathesis $schemathesis_version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

# A name of its own: crates of one name would share build outputs in the shared target dir.
name=fuzzed
dir="$work/$name"
"$svcgen" new "$name" --no-input --no-git --output "$dir" --set example_resource=true >/dev/null
(cd "$dir" && cargo build --locked)

psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" -c "create database $db" >/dev/null
port=$(free_port)
export APP_ENV=production APP_HOST=127.0.0.1 APP_PORT=$port SHUTDOWN_DRAIN_SECS=1 \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
bin="$CARGO_TARGET_DIR/debug/$name"
"$bin" migrate
"$bin" serve >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || fail "the service did not become ready: $(cat "$work/serve.log")"

# schemathesis keeps its example database and reports in the working directory and the user's
# cache: both go to the temporary directory, never into the repository.
echo "--- schemathesis $schemathesis_version against $name on port $port (at most $max_examples examples per operation, ${time_limit_secs}s)"
status=0
(cd "$work" && XDG_CACHE_HOME="$work/xdg-cache" SCHEMATHESIS_HOOKS='' timeout --signal=INT "$time_limit_secs" \
  "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
  --url "http://127.0.0.1:$port" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance \
  --max-examples "$max_examples" \
  --seed "${SCHEMATHESIS_SEED:-$RANDOM}" \
  --workers 2 \
  --request-timeout 10 \
  --generation-database none \
  --report-dir "$work/report" \
  --suppress-health-check too_slow \
  --no-color) || status=$?
if [ "$status" = 124 ]; then fail "did not finish within ${time_limit_secs}s"; fi
[ "$status" = 0 ] || fail "found failures (exit $status); server log: $(tail -n 20 "$work/serve.log")"
kill -TERM "$server_pid"
wait "$server_pid" || fail "serve exited non-zero after SIGTERM"
server_pid=
if grep -q '"level":"ERROR"' "$work/serve.log"; then fail "the service logged errors: $(grep '"level":"ERROR"' "$work/serve.log" | head -n 5)"; fi
echo "--- schemathesis: no failures"
