#!/usr/bin/env bash
# Moves a blueprint.toml to its next minor version in place (1.1.0 -> 1.2.0), whatever version
# the built-in blueprint is at today, and prints the new version. Used by update.sh and fleet.sh
# to publish "the next release" of a copy of the built-in service blueprint.
#
# usage: bench/next-version.sh BLUEPRINT_TOML
set -euo pipefail
file=$1
awk -F'"' '
  !done && /^version = "/ {
    split($2, v, ".")
    next_version = sprintf("%d.%d.0", v[1], v[2] + 1)
    print "version = \"" next_version "\""
    done = 1
    next
  }
  { print }
  END { if (!done) exit 1; print next_version > "/dev/stderr" }
' "$file" >"$file.next" 2>"$file.version" || { echo "next-version: no version line in $file" >&2; exit 1; }
mv "$file.next" "$file"
cat "$file.version"
rm -f "$file.version"
