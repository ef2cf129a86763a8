# Stand-in for rust:<version>-slim-bookworm, which CI cannot pull: Debian bookworm (minbase) with
# what the official image has that a service build uses: gcc and libc6-dev for crates that build
# C, CA certificates, and a Rust toolchain on PATH with CARGO_HOME=/usr/local/cargo. The toolchain
# is the machine's own (the build context holds it), so images build with the same rustc as CI.
FROM svcgen-ci/bookworm-minbase:latest
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
# The machine's trust store: the registry cargo reaches from here is the one the machine reaches.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY rust /usr/local/rust
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
RUN mkdir -p /usr/local/cargo/bin && cargo --version && rustc --version
