#!/bin/sh
# What the official nginx image's 20-envsubst-on-templates.sh does: each template becomes a
# config file, with only the variables set in the environment substituted, so nginx's own
# `$host`-style variables are left alone.
set -eu
defined=$(env | cut -d= -f1 | sed 's/^/$/' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
  [ -e "$template" ] || continue
  out="/etc/nginx/conf.d/$(basename "$template" .template)"
  envsubst "$defined" <"$template" >"$out"
done
exec "$@"
