#!/usr/bin/env bash
# Proves the reference services under examples/: each builds with --locked, is fmt- and
# clippy-clean, passes its own tests against the local PostgreSQL and NATS, is on the newest
# version of its blueprint (`svcgen check`), and passes the linters of its file types; the
# examples' compose file and gateway pass theirs; then both run together behind nginx
# (.ci/examples_e2e.py). That the examples are still what svcgen makes is tests/examples.rs,
# part of `cargo test`.
#
# usage: check-examples.sh SVCGEN_BINARY
set -euo pipefail

svcgen=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
# Shared with check-generated.sh: the same dependencies, compiled once.
export CARGO_TARGET_DIR="$cache/target-generated"
export PATH="$cache/bin:$PATH:/usr/sbin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "check-examples: $*" >&2; exit 1; }

for service in product catalog; do
  echo "--- examples/$service"
  dir="$root/examples/$service"
  (cd "$dir" && cargo build --locked && cargo fmt --check \
    && cargo clippy --all-targets --locked -- -D warnings && cargo test --locked)
  "$svcgen" check --service "$dir" || fail "$service is behind its blueprint: run svcgen update"
done

echo "--- examples: end to end through the gateway"
python3 "$root/.ci/examples_e2e.py" --examples "$root/examples" --openapi-out "$work" \
  --product "$CARGO_TARGET_DIR/debug/product" --catalog "$CARGO_TARGET_DIR/debug/catalog"

echo "--- examples: catalog converges on an empty database through its backfill plus events"
python3 "$root/.ci/backfill_e2e.py" --examples "$root/examples" \
  --product "$CARGO_TARGET_DIR/debug/product" --catalog "$CARGO_TARGET_DIR/debug/catalog"

echo "--- examples: linters"
for service in product catalog; do
  bash "$root/.ci/lint-service.sh" "$root/examples/$service" "$work/$service.openapi.json"
done
# The compose file that runs both: the compose-spec schema, compose's own parser (which also
# checks that every build context exists), yamllint; the init script with shellcheck.
cd "$root/examples"
check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
out=$(env -i PATH="$PATH" HOME="$HOME" compose-config --project-directory . -f compose.yaml config -q 2>&1) \
  || fail "compose config: $out"
[ -z "$out" ] || fail "compose config warns: $out"
yamllint --strict -d '{extends: default, rules: {line-length: disable, document-start: disable,
  truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}}}' compose.yaml
shellcheck postgres/*.sh
echo "check-examples: all green"
