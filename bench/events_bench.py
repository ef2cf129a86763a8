#!/usr/bin/env python3
"""The event pipeline add-event generates, measured: outbox commit -> relay -> NATS JetStream ->
consumer applied (its inbox row), with a producer and a consumer built in release mode.

Events are committed straight into the producer's outbox by SQL, shaped exactly like the rows the
service's own `outbox::enqueue` writes (one is made through the API first and used as the
template), so the HTTP layer does not limit the rate being measured.

- latency (first, on empty tables): RATE events/s committed in small transactions for DURATION
  seconds; per event, applied (inbox.received_at) - committed (outbox.created_at), both from
  the same PostgreSQL clock; p50 and p99 reported. `received_at` is the start of the consumer's
  transaction, not its commit: the time from one to the other is within the consumer's own
  `events_handle_duration_seconds` (batch start to ack), whose p99 over the phase is reported
  too (scraped from its /metrics right after the phase).
- sustained: EVENTS rows committed at once (reported with how fast the relay alone published
  them, to tell which side limits); events/s = EVENTS / (last applied - end of the
  insert). The insert's end (`clock_timestamp()` once every row is written) comes just before
  its commit, so the window measured is, if anything, longer than the real one.

usage: events_bench.py --producer BIN --consumer BIN [--events 20000] [--rate 1000] [--duration 10]
"""

import argparse
import json
import os
import statistics
import sys
import re
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".ci"))
import e2e_support as e2e  # noqa: E402  (shared process and database helpers)


def wait_applied(db, expected, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = int(e2e.psql(db, "select count(*) from inbox")[0][0])
        if count >= expected:
            return
        time.sleep(0.05)
    e2e.fail(f"only {count} of {expected} events applied after {timeout}s")


def latencies(producer_db, consumer_db, since_seq):
    created = dict(e2e.psql(producer_db,
        f"select id::text, extract(epoch from created_at) from outbox where seq > {since_seq}"))
    applied = dict(e2e.psql(consumer_db, "select event_id, extract(epoch from received_at) from inbox"))
    return [(float(applied[i]) - float(c)) * 1000 for i, c in created.items() if i in applied]


def handle_p99_ms(service):
    """The consumer's p99 of events_handle_duration_seconds, from its Prometheus summary."""
    with urllib.request.urlopen(service.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    match = re.search(r'^events_handle_duration_seconds\{[^}]*quantile="0\.99"[^}]*\} (\S+)$', text, re.M)
    return round(float(match.group(1)) * 1000, 1) if match else None


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--producer", required=True)
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--nats-server", default=None, help="default: nats-server on PATH or in /usr/sbin")
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()

    import shutil
    import signal
    import tempfile
    work = tempfile.mkdtemp(prefix="svcgen-events-bench-")
    nats = e2e.Nats(work, args.nats_server)
    producer_db, consumer_db = f"bench_producer_{os.getpid()}", f"bench_consumer_{os.getpid()}"
    e2e.create_db(producer_db)
    e2e.create_db(consumer_db)
    quiet = {"RUST_LOG": "warn"}
    producer = e2e.Service("producer", args.producer, producer_db, nats.url, work, quiet)
    consumer = e2e.Service("consumer", args.consumer, consumer_db, nats.url, work, quiet)
    try:
        nats.start()
        producer.run("migrate")
        consumer.run("migrate")
        producer.start()
        consumer.start()

        status, body, _ = e2e.http("POST", producer.url + "/v1/products", {"name": "template", "description": "d"})
        if status != 201:
            e2e.fail(f"create: {status} {body}")
        wait_applied(consumer_db, 1, 30)
        agg_type, event_type, payload = e2e.psql(producer_db,
            "select aggregate_type, event_type, payload::text from outbox order by seq limit 1")[0]
        payload = payload.replace("'", "''")
        # Each event its own aggregate at version 1, so every one is applied (an insert).
        insert = (
            "insert into outbox (id, aggregate_type, aggregate_id, aggregate_version, event_type, payload) "
            "select gen_random_uuid(), '{t}', a::text, 1, '{e}', "
            "jsonb_set(jsonb_set('{p}'::jsonb, '{{id}}', to_jsonb(a::text)), '{{name}}', to_jsonb('bench ' || a::text)) "
            "from (select gen_random_uuid() as a from generate_series(1, {n})) s"
        )

        def seq():
            return int(e2e.psql(producer_db, "select coalesce(max(seq), 0) from outbox")[0][0])

        # Latency at a fixed rate: RATE/100 events per transaction, one transaction every 10 ms.
        start_seq = seq()
        before = int(e2e.psql(consumer_db, "select count(*) from inbox")[0][0])
        batch = max(1, args.rate // 100)
        ticks = args.duration * 100
        body = insert.format(t=agg_type, e=event_type, p=payload, n=batch).replace("'", "''")
        e2e.psql(producer_db,
            "do $$ declare next_at timestamptz := clock_timestamp(); begin "
            f"for i in 1..{ticks} loop execute '{body}'; commit; "
            "next_at := next_at + interval '10 milliseconds'; "
            "perform pg_sleep(greatest(0, extract(epoch from next_at - clock_timestamp()))); "
            "end loop; end $$")
        sent = batch * ticks
        wait_applied(consumer_db, before + sent, 120)
        window = e2e.psql(producer_db,
            f"select extract(epoch from max(created_at) - min(created_at)) from outbox where seq > {start_seq}")[0][0]
        achieved = sent / max(float(window), 1e-9)
        lat = latencies(producer_db, consumer_db, start_seq)
        handle_p99 = handle_p99_ms(consumer)

        # Sustained throughput.
        start_seq = seq()
        committed = float(e2e.psql(producer_db,
            f"with ins as ({insert.format(t=agg_type, e=event_type, p=payload, n=args.events)} returning 1) "
            "select extract(epoch from clock_timestamp()), count(*) from ins")[0][0])
        wait_applied(consumer_db, before + sent + args.events, 300)
        last = float(e2e.psql(consumer_db, "select extract(epoch from max(received_at)) from inbox")[0][0])
        throughput = args.events / (last - committed)
        # Where the time goes: how soon the relay had published them all (its last round's start).
        relayed = float(e2e.psql(producer_db,
            f"select extract(epoch from max(published_at)) from outbox where seq > {start_seq}")[0][0])

        result = {
            "sustained_events": args.events,
            "sustained_events_per_s": round(throughput),
            "relayed_events_per_s": round(args.events / max(relayed - committed, 1e-9)),
            "rate_target_per_s": args.rate,
            "rate_achieved_per_s": round(achieved),
            "latency_events": len(lat),
            "latency_p50_ms": round(percentile(lat, 50), 1),
            "latency_p99_ms": round(percentile(lat, 99), 1),
            "latency_max_ms": round(max(lat), 1),
            "latency_mean_ms": round(statistics.fmean(lat), 1),
            "consumer_handle_p99_ms": handle_p99,
        }
        print(json.dumps(result))
    finally:
        for process in (producer, consumer, nats):
            process.kill(signal.SIGKILL)
        for db in (producer_db, consumer_db):
            try:
                e2e.psql("postgres", f"drop database if exists {db} with (force)")
            except Exception:  # noqa: BLE001
                pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
