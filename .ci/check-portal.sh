#!/usr/bin/env bash
# What a portal reads from svcgen, checked with the portal's own code (pinned in
# .ci/backstage/package-lock.json):
# - the catalog-info.yaml that the `service` blueprint writes, with Backstage's catalog model
#   (@backstage/catalog-model): the entity policies the catalog applies to every file it reads,
#   the Component kind's schema, and the owner, system and dependsOn references;
# - `svcgen blueprint schema` of every built-in blueprint, with Ajv as a draft-07 form validator
#   (Backstage's forms): the defaults pass, bad answers fail.
#
#   bash .ci/check-portal.sh SVCGEN
#
# Needs node and npm (Debian's nodejs and npm, installed with apt when missing). The packages
# go to $SVCGEN_CACHE/backstage-npm, reinstalled when the lock file changes.
set -euo pipefail

(($# == 1)) || { echo "usage: $0 SVCGEN" >&2; exit 2; }
svcgen="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}/backstage-npm"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y update >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends \
        nodejs npm >/dev/null
fi

mkdir -p "$cache"
if ! cmp -s "$here/backstage/package-lock.json" "$cache/package-lock.json" \
    || [[ ! -d "$cache/node_modules/@backstage/catalog-model" ]]; then
    cp "$here/backstage/package.json" "$here/backstage/package-lock.json" "$cache/"
    (cd "$cache" && npm ci --no-audit --no-fund --silent)
fi
cp "$here/backstage/check-catalog-info.cjs" "$here/backstage/check-form-schema.cjs" "$cache/"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The defaults, and every catalog answer set (a system, a nested GitLab group, a team name with
# separators, descriptions that need quoting or escaping).
"$svcgen" --quiet new catalog --no-input --no-git --output "$tmp/catalog"
"$svcgen" --quiet new orders --no-input --no-git --output "$tmp/orders" \
    --set team=payments.core_team-2 --set system=storefront --set codeowners_org=acme/backend \
    --set 'description=Takes orders: "all of them" # not a comment' \
    --set public_url=https://orders.shop.example:8443/api
# Unicode a form lets through: letters outside ASCII, emoji, and U+2028, a line break in YAML 1.1.
"$svcgen" --quiet new chumon --no-input --no-git --output "$tmp/chumon" \
    --set $'description=注文サービス 🚀 Café\u2028crème'
node "$cache/check-catalog-info.cjs" "$tmp/catalog/catalog-info.yaml" "$tmp/orders/catalog-info.yaml" \
    "$tmp/chumon/catalog-info.yaml"

"$svcgen" blueprint schema service >"$tmp/service.schema.json"
node "$cache/check-form-schema.cjs" "$tmp/service.schema.json" catalog \
    '{"port": 70000}' '{"ci": "jenkins"}' '{"team": "Platform Team"}' '{"resource": "type"}' \
    '{"colour": "blue"}' '{"description": "two\nlines"}' '{"name": "std"}'
"$svcgen" blueprint schema minimal >"$tmp/minimal.schema.json"
node "$cache/check-form-schema.cjs" "$tmp/minimal.schema.json" catalog '{"name": "Bad"}'
