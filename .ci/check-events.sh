#!/usr/bin/env bash
# Proves `svcgen add-event` on the built-in service blueprint: a producer and a consumer are
# generated and given ProductChanged, must build with --locked, be fmt- and clippy-clean and pass
# their own tests (real PostgreSQL and NATS), a re-run must change nothing, and then both run as
# processes through the fault-injecting end-to-end check (.ci/events_e2e.py).
#
# usage: check-events.sh SVCGEN_BINARY
set -euo pipefail

svcgen=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
export CARGO_TARGET_DIR="$cache/target-generated"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "check-events: $*" >&2; exit 1; }

fields=(--field name:string --field description:text)

echo "--- producer evprod (resource product) + ProductChanged"
"$svcgen" new evprod --no-input --set resource=product --output "$work/evprod"
"$svcgen" add-event ProductChanged "${fields[@]}" --service "$work/evprod"
git -C "$work/evprod" add -A && git -C "$work/evprod" commit -qm "add ProductChanged"
"$svcgen" add-event ProductChanged "${fields[@]}" --service "$work/evprod"
[ -z "$(git -C "$work/evprod" status --porcelain)" ] || fail "a second add-event changed the producer"

echo "--- consumer evcons + ProductChanged from evprod's contract"
"$svcgen" new evcons --no-input --set example_resource=false --set port=8081 --output "$work/evcons"
"$svcgen" add-event ProductChanged --consume --from evprod \
  --schema "$work/evprod/events/product-changed.v1.json" --service "$work/evcons"

for svc in evprod evcons; do
  echo "--- $svc: build, fmt, clippy, tests"
  (cd "$work/$svc" && cargo build --locked && cargo fmt --check \
    && cargo clippy --all-targets --locked -- -D warnings && cargo test --locked)
done

echo "--- end to end with faults"
python3 "$here/events_e2e.py" \
  --producer "$CARGO_TARGET_DIR/debug/evprod" \
  --consumer "$CARGO_TARGET_DIR/debug/evcons" \
  --resource-path /v1/products \
  --producer-state-sql "select id::text, name, coalesce(description, ''), version from products" \
  --consumer-state-sql "select id::text, name, description, version from product_copy where not deleted" \
  --outbox-ids-sql "select id::text from outbox" \
  --inbox-ids-sql "select event_id from inbox"
