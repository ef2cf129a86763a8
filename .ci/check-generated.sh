#!/usr/bin/env bash
# Proves the built-in `service` blueprint's output, for two answer sets: it builds with --locked,
# is clippy- and fmt-clean, passes its own tests against the local PostgreSQL, serves real
# requests (migrate, serve, every endpoint, readyz 503 while draining after SIGTERM), and passes
# the linters of every file type it contains.
#
# usage: check-generated.sh SVCGEN_BINARY
set -euo pipefail

svcgen=$1
here=$(cd "$(dirname "$0")" && pwd)
cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
# One target directory for every generated service, so dependencies compile once. Each variant
# gets its own package name: two crates called the same would share (stale) build outputs.
export CARGO_TARGET_DIR="$cache/target-generated"
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "check-generated: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# expect STATUS METHOD PATH [BODY] -> response body in $work/body
expect() {
  local want=$1 method=$2 path=$3 body=${4:-}
  local args=(-sS -o "$work/body" -w '%{http_code} %{content_type}' -X "$method" "http://127.0.0.1:$port$path")
  [ -n "$body" ] && args+=(-H 'content-type: application/json' --data "$body")
  local got
  got=$(curl "${args[@]}")
  [ "${got%% *}" = "$want" ] || fail "$method $path: expected $want, got $got: $(cat "$work/body")"
  echo "  $method $path -> $got"
  last_content_type=${got#* }
}

expect_problem() {
  expect "$@"
  [[ $last_content_type == application/problem+json* ]] || fail "$2 $3: not problem+json ($last_content_type)"
}

check_variant() {
  local name=$1; shift
  echo "--- $name ($*)"
  local dir="$work/$name"
  "$svcgen" new "$name" --no-input --output "$dir" "$@"
  [ "$(git -C "$dir" rev-list --count HEAD)" = 1 ] || fail "$name: expected one commit"

  (cd "$dir" && cargo build --locked && cargo fmt --check \
    && cargo clippy --all-targets --locked -- -D warnings && cargo test --locked)

  local db="svcgen_ci_${name//-/_}"
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" -c "create database $db" >/dev/null
  port=$(free_port)
  export APP_ENV=production APP_HOST=127.0.0.1 APP_PORT=$port SHUTDOWN_DRAIN_SECS=3 \
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
  local bin="$CARGO_TARGET_DIR/debug/$name"
  "$bin" migrate
  "$bin" serve >"$work/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/livez" >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$bin" healthcheck || fail "$name: healthcheck subcommand failed"

  expect 200 GET /livez
  expect 200 GET /readyz
  expect 200 GET /openapi.json
  cp "$work/body" "$work/$name.openapi.json"
  grep -q '"openapi":"3.1' "$work/$name.openapi.json" || fail "openapi is not 3.1"
  expect_problem 404 GET /no/such/route
  expect_problem 405 PUT /livez
  if [ "${example_resource:-true}" = true ]; then
    expect 201 POST /v1/items '{"name":"widget","description":"first"}'
    local id
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/body")
    expect 200 GET "/v1/items/$id"
    expect 200 GET "/v1/items?limit=10&offset=0"
    grep -q '"total":1' "$work/body" || fail "list envelope: $(cat "$work/body")"
    expect 200 PUT "/v1/items/$id" '{"name":"widget","description":"second","version":1}'
    expect_problem 409 PUT "/v1/items/$id" '{"name":"widget","description":"third","version":1}'
    expect_problem 409 POST /v1/items '{"name":"widget"}'
    expect_problem 422 POST /v1/items '{"name":""}'
    expect_problem 400 POST /v1/items '{"name":'
    expect 204 DELETE "/v1/items/$id"
    expect_problem 404 GET "/v1/items/$id"
  fi
  expect 200 GET /metrics
  grep -q 'http_requests_total' "$work/body" || fail "metrics lack http_requests_total"

  kill -TERM "$server_pid"
  sleep 0.5
  expect 503 GET /readyz
  expect 200 GET /livez
  wait "$server_pid" || fail "$name: serve exited non-zero after SIGTERM"
  server_pid=
  grep -q '"request_id"' "$work/$name.log" || fail "$name: request ids missing from JSON logs"
  if grep -q 'postgres://' "$work/$name.log"; then fail "$name: database URL leaked into logs"; fi
  unset APP_ENV APP_HOST APP_PORT SHUTDOWN_DRAIN_SECS DATABASE_URL
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" >/dev/null

  bash "$here/lint-service.sh" "$dir" "$work/$name.openapi.json"
}

example_resource=true check_variant catalog
example_resource=false check_variant inventory --set example_resource=false --set ci=gitlab
echo "generated services: all checks passed"
