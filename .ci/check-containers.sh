#!/usr/bin/env bash
# The deployment path, executed on a real Docker engine: every service's image built from its
# Dockerfile and run (migrate, serve, HEALTHCHECK, uid 65532, /readyz, SIGTERM drain), then the
# generated service's compose file and examples/compose.yaml brought up in containers with the
# CI overrides under .ci/compose/ (.ci/containers_e2e.py says what each step proves).
#
# Images: a generated service with the defaults, one with an event producer, and both reference
# services. Their base images are .ci/docker-engine.sh's stand-ins; the engine's data root is
# under $SVCGEN_CACHE/docker, so a warm run rebuilds only the layers whose inputs changed.
#
# usage: check-containers.sh SVCGEN_BINARY
set -euo pipefail

svcgen=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
logs="${SVCGEN_CI_LOGS:-$cache/logs}"
export PATH="$cache/bin:$PATH:/usr/sbin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=.ci/docker-engine.sh
source "$root/.ci/docker-engine.sh"

# The two generated services, made as a team would make them (svcgen's output in a log, shown
# if it fails).
generate() {
  "$@" >"$work/svcgen.log" 2>&1 || { cat "$work/svcgen.log" >&2; exit 1; }
}
generate "$svcgen" new ci-default --no-input --output "$work/ci-default"
generate "$svcgen" new ci-producer --no-input --output "$work/ci-producer" --set resource=product
generate "$svcgen" add-event ProductChanged --service "$work/ci-producer" \
  --field name:string --field price:cents

mkdir -p "$logs"
python3 "$root/.ci/containers_e2e.py" --root "$root" --work "$work" \
  --report "$logs/containers.json" \
  --image "svcgen-ci/ci-default:ci=$work/ci-default" \
  --image "svcgen-ci/ci-producer:ci=$work/ci-producer" \
  --image "svcgen-examples/product:latest=$root/examples/product" \
  --image "svcgen-examples/catalog:latest=$root/examples/catalog" \
  --compose-service "svcgen-ci/ci-default:ci=$work/ci-default" \
  --examples "$root/examples"
