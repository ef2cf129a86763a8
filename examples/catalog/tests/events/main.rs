//! Event tests: the outbox, the relay and the consumers against a real PostgreSQL and a real
//! NATS with JetStream. Each test has its own database and its own stream and subject names
//! (a namespace), so they run in parallel and leave nothing behind. Set DATABASE_URL and
//! NATS_URL to point them at other servers.

mod readiness;
mod support;
// The consumer loop: dead letters, retries.
mod consumer;
// ProductChanged (consumer).
mod product_changed;
// svcgen:anchor modules
