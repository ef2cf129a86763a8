# Stand-in for the nats image in examples/compose.yaml: Debian's nats-server (JetStream included)
# and wget, which the compose healthcheck calls. Arguments go to nats-server, as in the official
# image when the command starts with a flag.
FROM svcgen-ci/bookworm-minbase:latest
RUN apt-get update \
    && apt-get install -y --no-install-recommends nats-server wget \
    && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["nats-server"]
