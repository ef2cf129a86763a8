# Stand-in for gcr.io/distroless/cc-debian12:nonroot, which CI cannot pull: Debian bookworm
# (minbase: glibc and libgcc, as in distroless/cc) with CA certificates and the `nonroot` user and
# group 65532. Unlike distroless it has a shell; the service image never relies on one.
FROM svcgen-ci/bookworm-minbase:latest
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 nonroot \
    && useradd --uid 65532 --gid 65532 --home-dir /home/nonroot --create-home \
        --shell /sbin/nologin nonroot
USER 65532:65532
WORKDIR /home/nonroot
