{%- set broker = broker | default(value="nats") -%}
//! Event tests: the outbox, the relay and the consumers against a real PostgreSQL and a real
{% if broker == "kafka" %}//! Kafka. Each test has its own database and its own topic and group names (a namespace), so
//! they run in parallel and leave nothing behind. Set DATABASE_URL and KAFKA_BROKERS to point
//! them at other servers.
{% else %}//! NATS with JetStream. Each test has its own database and its own stream and subject names
//! (a namespace), so they run in parallel and leave nothing behind. Set DATABASE_URL and
//! NATS_URL to point them at other servers.
{% endif %}
mod readiness;
mod support;
// svcgen:anchor modules
