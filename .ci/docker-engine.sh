#!/usr/bin/env bash
# A Docker engine for CI, and local stand-ins for the images the Dockerfiles and compose files
# name. Idempotent: a second run with the engine up and every image present takes a second.
#
#   source .ci/docker-engine.sh    # install, start, build stand-ins; exports DOCKER_HOST
#
# This machine reaches no image registry and may only send traffic to loopback, so:
#   - dockerd runs with --bridge=none --iptables=false; every container uses host networking
#     and nothing here creates a network;
#   - the base images are built from Debian (debootstrap --variant=minbase bookworm, from the
#     machine's own mirror) and tagged with exactly the names the blueprint's Dockerfile uses:
#       rust:<version>-slim-bookworm        minbase + gcc, libc6-dev, the machine's own Rust
#                                           toolchain and CA trust store (cargo inside a build
#                                           reaches the registry the machine reaches)
#       gcr.io/distroless/cc-debian12:nonroot  minbase + the `nonroot` user 65532
#   - compose's other images get stand-ins under svcgen-ci/ (the CI override names them):
#       svcgen-ci/nats     Debian's nats-server, wget for the healthcheck
#       svcgen-ci/nginx    Debian's nginx with the official image's template rendering
#
# Everything lives under $SVCGEN_CACHE/docker (the engine's data root: image layers, so a warm
# run rebuilds only what changed) and $SVCGEN_CACHE/rootfs (the minbase tarball).

svcgen_docker_engine() {
  local -
  set -euo pipefail

  local cache="${SVCGEN_CACHE:-$HOME/.cache/svcgen-ci}"
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local run_dir=/run/svcgen-ci-docker
  local socket="$run_dir/docker.sock"
  local log="$cache/dockerd.log"
  say() { printf 'docker-engine: %s\n' "$*" >&2; }

  mkdir -p "$cache" "$run_dir"
  local lock_fd
  exec {lock_fd}>"$cache/.docker-lock"
  flock "$lock_fd"

  # ---- packages -----------------------------------------------------------
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if ((${#missing[@]})); then
    say "installing with apt: ${missing[*]}"
    local apt_get=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0)
    if ! "${apt_get[@]}" install --no-install-recommends "${missing[@]}" >"$cache/apt-docker.log" 2>&1; then
      "${apt_get[@]}" update >>"$cache/apt-docker.log" 2>&1 || true
      "${apt_get[@]}" install --no-install-recommends "${missing[@]}" >>"$cache/apt-docker.log" 2>&1 \
        || { cat "$cache/apt-docker.log" >&2; return 1; }
    fi
  fi

  # ---- the engine ---------------------------------------------------------
  export DOCKER_HOST="unix://$socket"
  if ! docker version >/dev/null 2>&1; then
    say "starting dockerd (data root $cache/docker)"
    # A pid file left by an engine that died would stop the new one from starting.
    rm -f "$run_dir/dockerd.pid"
    # The engine outlives this script: it must not hold the lock.
    setsid dockerd \
      --host "$DOCKER_HOST" \
      --data-root "$cache/docker" \
      --exec-root "$run_dir/exec" \
      --pidfile "$run_dir/dockerd.pid" \
      --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
      >>"$log" 2>&1 </dev/null {lock_fd}>&- &
    local i
    for i in $(seq 1 120); do
      docker version >/dev/null 2>&1 && break
      [ "$i" -lt 120 ] || { say "dockerd did not start; its log:"; tail -n 40 "$log" >&2; return 1; }
      sleep 0.5
    done
  fi

  # ---- stand-in images ----------------------------------------------------
  has_image() { docker image inspect "$1" >/dev/null 2>&1; }
  # docker build's chatter goes to a log, shown only when the build fails.
  build_image() {
    local tag=$1
    shift
    DOCKER_BUILDKIT=0 docker build --network host -t "$tag" "$@" >"$cache/docker-build.log" 2>&1 \
      || { say "building $tag failed:"; tail -n 40 "$cache/docker-build.log" >&2; return 1; }
  }

  local rust_version
  rust_version="$(sed -n 's/^ARG RUST_VERSION=//p' "$root/blueprints/service/template/Dockerfile")"
  local builder="rust:${rust_version}-slim-bookworm"
  local runtime="gcr.io/distroless/cc-debian12:nonroot"
  local minbase="svcgen-ci/bookworm-minbase:latest"

  if ! has_image "$minbase"; then
    local tarball="$cache/rootfs/bookworm-minbase.tar"
    if [ ! -s "$tarball" ]; then
      say "debootstrap --variant=minbase bookworm (once; kept in $tarball)"
      local mirror
      mirror="$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)"
      [ -n "$mirror" ] || mirror="$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)"
      [ -n "$mirror" ] || { say "no Debian mirror found in /etc/apt"; return 1; }
      local chroot="$cache/rootfs/bookworm-minbase"
      rm -rf "$chroot" "$tarball.tmp"
      mkdir -p "$chroot"
      debootstrap --variant=minbase bookworm "$chroot" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -n 40 "$cache/debootstrap.log" >&2; return 1; }
      # apt inside the images uses the same mirror; no recommends, no docs, as slim images do.
      printf 'APT::Install-Recommends "false";\n' >"$chroot/etc/apt/apt.conf.d/90svcgen-ci"
      rm -rf "$chroot/var/cache/apt/archives/"*.deb "$chroot/var/lib/apt/lists/"*
      tar -C "$chroot" --numeric-owner -cf "$tarball.tmp" .
      mv "$tarball.tmp" "$tarball"
      rm -rf "$chroot"
    fi
    say "importing $minbase"
    docker import --change 'CMD ["/bin/bash"]' "$tarball" "$minbase" >/dev/null
  fi

  local images="$root/.ci/images"
  if ! has_image "$runtime"; then
    say "building $runtime"
    build_image "$runtime" -f "$images/runtime.Dockerfile" "$images"
  fi

  if ! has_image "$builder"; then
    say "building $builder (the machine's toolchain and CA trust store)"
    # The build context: the toolchain without its documentation, and the trust store.
    local toolchain context
    toolchain="$(rustc +"$rust_version" --print sysroot)"
    context="$(mktemp -d "$cache/builder-context.XXXXXX")"
    mkdir -p "$context/rust"
    cp -a "$toolchain/bin" "$toolchain/lib" "$context/rust/"
    cp /etc/ssl/certs/ca-certificates.crt "$context/"
    build_image "$builder" -f "$images/builder.Dockerfile" "$context"
    rm -rf "$context"
  fi

  local standin
  for standin in nats nginx; do
    if ! has_image "svcgen-ci/$standin:latest"; then
      say "building svcgen-ci/$standin"
      build_image "svcgen-ci/$standin:latest" -f "$images/$standin.Dockerfile" "$images"
    fi
  done

  exec {lock_fd}>&-
}

svcgen_docker_engine
