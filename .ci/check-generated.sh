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
nats_pid=
cleanup() {
  # shellcheck disable=SC2086 # several pids, space-separated
  [ -n "$server_pid" ] && kill -9 $server_pid 2>/dev/null
  [ -n "$nats_pid" ] && kill -9 "$nats_pid" 2>/dev/null
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
  grep -q '"openapi": "3.1' "$work/$name.openapi.json" || fail "openapi is not 3.1"
  # The committed contract is what the service serves, byte for byte, and `make api` rewrites
  # it unchanged.
  cmp "$work/$name.openapi.json" "$dir/api/openapi.json" \
    || fail "$name: /openapi.json differs from the committed api/openapi.json"
  make -C "$dir" --quiet api
  git -C "$dir" diff --exit-code -- api/openapi.json || fail "$name: make api changed api/openapi.json"
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

# wait_until DESCRIPTION COMMAND...: retries COMMAND for up to 15 s.
wait_until() {
  local what=$1; shift
  for _ in $(seq 1 150); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "timed out waiting for $what"
}

# A NATS of this script's own, on a free port with its store under $work. The machine's NATS
# outlives CI runs: a stream left on it by one run (events published with nobody consuming) was
# delivered to the next run's consumer, and its counts no longer matched.
start_nats() {
  local nats_port
  nats_port=$(free_port)
  "$(command -v nats-server || echo /usr/sbin/nats-server)" -js -a 127.0.0.1 -p "$nats_port" \
    -sd "$work/jetstream" >"$work/nats.log" 2>&1 &
  nats_pid=$!
  nats_url="nats://127.0.0.1:$nats_port"
  wait_until "NATS on port $nats_port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$nats_port"
}

# Events: a producer (outbox + relay) and a consumer made with `svcgen add-event`, checked like
# the variants above, then run together: a product created over HTTP in one must reach the
# other's local copy through NATS.
check_events() {
  echo "--- events (shop publishes ProductChanged, storefront consumes it)"
  local shop="$work/shop" storefront="$work/storefront"
  "$svcgen" new shop --no-input --output "$shop" --set resource=product
  "$svcgen" add-event ProductChanged --service "$shop" \
    --field name:string --field description:text --field price:cents
  "$svcgen" new storefront --no-input --output "$storefront" --set example_resource=false
  "$svcgen" add-event ProductChanged --service "$storefront" --consume --from shop \
    --schema "$shop/events/product-changed.v1.json"
  # Fields named like SQL keywords: the copy table and the upsert quote them, and storefront's
  # own tests apply its migrations and this event's upsert to a real database.
  "$svcgen" add-event OrderPlaced --service "$storefront" --consume --from shop --allow-dirty \
    --field order:i64 --field user:string --field select:text --field group:string \
    --field table:i32 --field from:uuid --field limit:i64
  # Running it again changes nothing, byte for byte.
  for dir in "$shop" "$storefront"; do
    git -C "$dir" add -A && git -C "$dir" commit -qm "add ProductChanged"
  done
  "$svcgen" add-event ProductChanged --service "$shop" \
    --field name:string --field description:text --field price:cents
  "$svcgen" add-event ProductChanged --service "$storefront" --consume --from shop \
    --schema "$shop/events/product-changed.v1.json"
  for dir in "$shop" "$storefront"; do
    [ -z "$(git -C "$dir" status --porcelain)" ] || fail "a second add-event changed $dir"
  done
  for dir in "$shop" "$storefront"; do
    (cd "$dir" && cargo build --locked && cargo fmt --check \
      && cargo clippy --all-targets --locked -- -D warnings && cargo test --locked)
  done

  local pids=() name
  export APP_ENV=production APP_HOST=127.0.0.1 SHUTDOWN_DRAIN_SECS=1 \
    NATS_URL=$nats_url EVENTS_NAMESPACE=svcgen_ci OUTBOX_SWEEP_MILLIS=200
  declare -A ports
  for name in shop storefront; do
    local db="svcgen_ci_$name"
    psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" -c "create database $db" >/dev/null
    ports[$name]=$(free_port)
    APP_PORT=${ports[$name]} DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" \
      "$CARGO_TARGET_DIR/debug/$name" migrate
    APP_PORT=${ports[$name]} DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" \
      "$CARGO_TARGET_DIR/debug/$name" serve >"$work/$name.log" 2>&1 &
    pids+=($!)
  done
  server_pid="${pids[*]}"
  for name in shop storefront; do
    port=${ports[$name]}
    wait_until "$name to be ready (NATS and PostgreSQL)" curl -fsS "http://127.0.0.1:$port/readyz"
  done

  port=${ports[shop]}
  expect 201 POST /v1/products '{"name":"lamp","description":"bright"}'
  local id
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/body")
  # Fails (division by zero) until the row is there.
  wait_until "the event to reach storefront" psql -h 127.0.0.1 -U postgres -d svcgen_ci_storefront -tA \
    -c "select 1/(count(*))::int from product_copy where id = '$id' and name = 'lamp' and version = 1"
  expect 204 DELETE "/v1/products/$id"
  wait_until "the deletion to reach storefront" psql -h 127.0.0.1 -U postgres -d svcgen_ci_storefront -tA \
    -c "select 1/(count(*))::int from product_copy where id = '$id' and deleted and version = 2"
  expect 200 GET /metrics
  grep -q '^outbox_published_total 2' "$work/body" || fail "shop metrics: $(grep outbox "$work/body")"
  port=${ports[storefront]}
  expect 200 GET /metrics
  grep -q 'events_consumed_total{event="product_changed",outcome="applied"} 2' "$work/body" \
    || fail "storefront metrics: $(grep events_ "$work/body")"

  kill -TERM "${pids[@]}"
  for pid in "${pids[@]}"; do wait "$pid" || fail "an events service exited non-zero after SIGTERM"; done
  server_pid=
  grep -q 'outbox relay stopped' "$work/shop.log" || fail "shop: the relay did not stop cleanly"
  grep -q 'consumer stopped' "$work/storefront.log" || fail "storefront: the consumer did not stop cleanly"
  if grep -q 'nats://' "$work/shop.log" "$work/storefront.log"; then fail "NATS URL leaked into logs"; fi
  unset APP_ENV APP_HOST SHUTDOWN_DRAIN_SECS NATS_URL EVENTS_NAMESPACE OUTBOX_SWEEP_MILLIS
  for name in shop storefront; do
    psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists svcgen_ci_$name" >/dev/null
  done

  bash "$here/lint-service.sh" "$shop"
  bash "$here/lint-service.sh" "$storefront"

  echo "--- events end to end with faults (own NATS; broker down, producer and consumer SIGKILLed)"
  python3 "$here/events_e2e.py" \
    --producer "$CARGO_TARGET_DIR/debug/shop" \
    --consumer "$CARGO_TARGET_DIR/debug/storefront" \
    --resource-path /v1/products \
    --producer-state-sql "select id::text, name, coalesce(description, ''), version from products" \
    --consumer-state-sql "select id::text, name, description, version from product_copy where not deleted" \
    --outbox-ids-sql "select id::text from outbox" \
    --inbox-ids-sql "select event_id from inbox"

  # bench/events.sh builds in release and runs for minutes; this checks its driver still works
  # against what the blueprint generates, not the figures.
  echo "--- events benchmark driver, smoke run (debug build)"
  python3 "$here/../bench/events_bench.py" --producer "$CARGO_TARGET_DIR/debug/shop" \
    --consumer "$CARGO_TARGET_DIR/debug/storefront" --events 500 --rate 200 --duration 2
}

# Clients: storefront gets a typed client of shop with `svcgen add-client`, from shop's committed
# contract; it must build clippy- and fmt-clean, pass storefront's tests, and call a running shop
# over HTTP (.ci/clients/call_shop.rs: create, get, list in pages, a 404 and a 422 as typed
# errors, delete), carrying the request id it was given.
check_clients() {
  echo "--- clients (storefront calls shop through svcgen add-client)"
  local shop="$work/shop" storefront="$work/storefront"
  [ -z "$(git -C "$storefront" status --porcelain)" ] || fail "storefront is not committed before add-client"
  "$svcgen" add-client shop --spec "$shop/api/openapi.json" --service "$storefront"
  git -C "$storefront" add -A && git -C "$storefront" commit -qm "add-client shop"
  # Running it again changes nothing, byte for byte; a dirty tree is refused.
  "$svcgen" add-client shop --service "$storefront"
  [ -z "$(git -C "$storefront" status --porcelain)" ] || fail "a second add-client changed storefront"
  echo "// edited" >>"$storefront/src/lib.rs"
  if "$svcgen" add-client shop --service "$storefront" 2>"$work/dirty.log"; then
    fail "add-client ran on a dirty tree"
  fi
  grep -q "uncommitted changes" "$work/dirty.log" || fail "dirty tree: $(cat "$work/dirty.log")"
  git -C "$storefront" checkout -q -- src/lib.rs

  mkdir -p "$storefront/examples"
  cp "$here/clients/call_shop.rs" "$storefront/examples/call_shop.rs"
  (cd "$storefront" && cargo build --locked --all-targets && cargo fmt --check \
    && cargo clippy --all-targets --locked -- -D warnings && cargo test --locked)

  local db=svcgen_ci_shop
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" -c "create database $db" >/dev/null
  port=$(free_port)
  export APP_ENV=production APP_HOST=127.0.0.1 APP_PORT=$port SHUTDOWN_DRAIN_SECS=1 \
    NATS_URL=$nats_url EVENTS_NAMESPACE=svcgen_ci \
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
  "$CARGO_TARGET_DIR/debug/shop" migrate
  "$CARGO_TARGET_DIR/debug/shop" serve >"$work/shop-clients.log" 2>&1 &
  server_pid=$!
  wait_until "shop to be ready" curl -fsS "http://127.0.0.1:$port/readyz"
  SHOP_URL="http://127.0.0.1:$port" "$CARGO_TARGET_DIR/debug/examples/call_shop" \
    || fail "the client of shop: $(tail -n 20 "$work/shop-clients.log")"
  grep -q '"request_id":"ci-client-0"' "$work/shop-clients.log" \
    || fail "shop did not see the request id the client was given"
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "shop exited non-zero after SIGTERM"
  server_pid=
  unset APP_ENV APP_HOST APP_PORT SHUTDOWN_DRAIN_SECS NATS_URL EVENTS_NAMESPACE DATABASE_URL
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db" >/dev/null
  bash "$here/lint-service.sh" "$storefront"
}

example_resource=true check_variant catalog
example_resource=false check_variant inventory --set example_resource=false --set ci=gitlab
start_nats
check_events
check_clients
echo "generated services: all checks passed"
