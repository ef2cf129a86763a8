#!/usr/bin/env bash
# The fleet report in a browser: builds a fleet of 6 services behind file:// remotes (3 with an
# open update branch, one whose team changed a generated file, the rest behind), writes
# `svcgen check --all FLEET --format html`, checks that the page is self-contained, loads it in
# headless Chromium and checks the DOM it rendered: one row per service, none an error. Keeps a
# screenshot and the page in $SVCGEN_CI_LOGS.
#
# usage: .ci/fleet-report.sh SVCGEN_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:?usage: .ci/fleet-report.sh SVCGEN_BINARY}")
logs="${SVCGEN_CI_LOGS:-${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}/logs}"
mkdir -p "$logs"
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium; .ci/install-linters.sh does)" >&2; exit 1; }
size=6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/remote-fleet-lib.sh
source bench/remote-fleet-lib.sh
make_remote_fleet "$bin" "$work" "$size"
export XDG_CACHE_HOME="$work/cache"

# svc-001's team changed a generated file: one file of drift.
git clone --quiet "$work/remotes/svc-001.git" "$work/team"
printf '\n# Our own target.\nnotes:\n\t@echo ours\n' >>"$work/team/Makefile"
git -C "$work/team" commit --quiet -am "Our notes"
git -C "$work/team" push --quiet origin HEAD:main
# svc-001 to svc-003 get an open update branch.
head -n 9 "$work/fleet.toml" >"$work/first-three.toml"
"$bin" update --all "$work/first-three.toml" --no-input --push --quiet >/dev/null

page="$logs/fleet-report.html"
status=0
"$bin" check --all "$work/fleet.toml" --format html --quiet >"$page" || status=$?
[ "$status" = 1 ] || { echo "fleet-report: expected check --all to exit 1 (behind), got $status" >&2; exit 1; }
# Self-contained: nothing loaded from anywhere.
if grep -Eiq '<(script|link|img|iframe)|url\(|@import| src=' "$page"; then
  echo "fleet-report: the page loads outside resources:" >&2
  grep -Ein '<(script|link|img|iframe)|url\(|@import| src=' "$page" >&2
  exit 1
fi

profile="$work/chromium-profile"
chrome=(chromium --headless --no-sandbox --disable-gpu --user-data-dir="$profile" --no-first-run)
"${chrome[@]}" --dump-dom "file://$page" >"$work/dom.html" 2>"$logs/fleet-report-chromium.log"
rows=$(grep -o '<tr class="service">' "$work/dom.html" | wc -l)
[ "$rows" = "$size" ] || { echo "fleet-report: $rows rows in the rendered page, expected $size" >&2; exit 1; }
if grep -q 'class="state error"' "$work/dom.html"; then
  echo "fleet-report: a service could not be checked:" >&2
  grep -o 'class="state error".*' "$work/dom.html" >&2
  exit 1
fi
opened=$(grep -o '<code>svcgen/service-[0-9.]*</code>' "$work/dom.html" | wc -l)
[ "$opened" = 3 ] || { echo "fleet-report: $opened open update branches shown, expected 3" >&2; exit 1; }
grep -q '<td class="num">1</td>' "$work/dom.html" || { echo "fleet-report: svc-001's drift is not shown" >&2; exit 1; }
"${chrome[@]}" --window-size=1400,700 --hide-scrollbars --screenshot="$logs/fleet-report.png" \
  "file://$page" 2>>"$logs/fleet-report-chromium.log"
[ -s "$logs/fleet-report.png" ] || { echo "fleet-report: no screenshot" >&2; exit 1; }
echo "fleet report: $rows services, 3 open update branches; page $page, screenshot $logs/fleet-report.png"
