#!/usr/bin/env python3
"""End-to-end check of svcgen's events: a generated producer and consumer, run as processes
against the local PostgreSQL and a NATS JetStream server of our own, with faults injected.

1,000 changes across 50 aggregates go through the producer's HTTP API while
  - the broker is stopped for several seconds and restarted (same store directory),
  - the producer (its relay) is killed with SIGKILL mid-batch and restarted,
  - the consumer is killed with SIGKILL mid-batch and restarted.
Then the consumer's copy must equal the producer's table, and every event the producer
committed must have been applied by the consumer exactly once (its inbox holds every outbox id,
once; a second application would have needed a second inbox row).

The machine's own NATS on 4222 is never touched: this script runs `nats-server -js` on a free
port with its own store directory.

usage (from .ci/check-generated.sh): events_e2e.py --producer BIN --consumer BIN --resource-path /v1/products
                     --producer-state-sql SQL --consumer-state-sql SQL
                     --outbox-ids-sql SQL --inbox-ids-sql SQL [--changes 1000] [--aggregates 50]
"""

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import (  # noqa: E402
    Nats, Service, create_db, fail, http, log, psql, set_log_prefix, wait_for,
)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--producer", required=True)
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--nats-server", default=None, help="default: nats-server on PATH")
    parser.add_argument("--resource-path", required=True)
    parser.add_argument("--producer-state-sql", required=True)
    parser.add_argument("--consumer-state-sql", required=True)
    parser.add_argument("--outbox-ids-sql", required=True)
    parser.add_argument("--inbox-ids-sql", required=True)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--aggregates", type=int, default=50)
    parser.add_argument("--producer-env", action="append", default=[], help="KEY=VALUE")
    parser.add_argument("--consumer-env", action="append", default=[], help="KEY=VALUE")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    set_log_prefix("events-e2e")
    rng = random.Random(args.seed)

    work = tempfile.mkdtemp(prefix="svcgen-events-e2e-")
    nats = Nats(work, args.nats_server)
    suffix = f"{os.getpid()}"
    producer_db, consumer_db = f"e2e_producer_{suffix}", f"e2e_consumer_{suffix}"
    create_db(producer_db)
    create_db(consumer_db)
    env_of = lambda pairs: dict(p.split("=", 1) for p in pairs)  # noqa: E731
    producer = Service("producer", args.producer, producer_db, nats.url, work,
                       env_of(args.producer_env))
    consumer = Service("consumer", args.consumer, consumer_db, nats.url, work,
                       env_of(args.consumer_env))
    processes = [producer, consumer, nats]
    ok = False
    try:
        nats.start()
        producer.run("migrate")
        consumer.run("migrate")
        producer.start()
        consumer.start()

        resource = producer.url + args.resource_path
        live = {}  # id -> version

        def create():
            status, body, _ = http("POST", resource, {"name": f"p-{rng.getrandbits(48):x}",
                                                   "description": "made by events_e2e"})
            if status != 201:
                fail(f"create: {status} {body}")
            live[body["id"]] = body["version"]

        def change():
            kind = rng.random()
            if kind < 0.08 and len(live) > args.aggregates // 2:
                victim = rng.choice(sorted(live))
                status, body, _ = http("DELETE", f"{resource}/{victim}")
                if status != 204:
                    fail(f"delete: {status} {body}")
                del live[victim]
            elif kind < 0.16 or len(live) < args.aggregates // 2:
                create()
            else:
                target = rng.choice(sorted(live))
                status, body, _ = http("PUT", f"{resource}/{target}", {
                    "name": f"p-{rng.getrandbits(48):x}",
                    "description": f"revision {rng.getrandbits(16)}",
                    "version": live[target]})
                if status != 200:
                    fail(f"update: {status} {body}")
                live[target] = body["version"]

        for _ in range(args.aggregates):
            create()
        done = args.aggregates
        faults = {
            args.changes * 2 // 10: "stop-broker",
            args.changes * 4 // 10: "start-broker",
            args.changes * 6 // 10: "kill-producer",
            args.changes * 8 // 10: "kill-consumer",
        }
        broker_stopped_at = None
        while done < args.changes:
            fault = faults.get(done)
            if fault == "stop-broker":
                log(f"after {done} changes: stopping the broker")
                nats.kill(signal.SIGTERM)
                broker_stopped_at = time.monotonic()
            elif fault == "start-broker":
                # Keep it down for several seconds however fast the changes went.
                time.sleep(max(0.0, 5 - (time.monotonic() - broker_stopped_at)))
                log(f"after {done} changes: restarting the broker after "
                    f"{time.monotonic() - broker_stopped_at:.1f}s")
                nats.start()
            elif fault == "kill-producer":
                log(f"after {done} changes: SIGKILL producer (relay mid-batch), restart")
                producer.kill()
                producer.start()
            elif fault == "kill-consumer":
                log(f"after {done} changes: SIGKILL consumer mid-batch, restart")
                consumer.kill()
                consumer.start()
            change()
            done += 1
        log(f"{done} changes made ({len(live)} aggregates live); waiting for the consumer")

        def converged():
            return sorted(psql(producer_db, args.producer_state_sql)) == \
                sorted(psql(consumer_db, args.consumer_state_sql))

        wait_for("the consumer's copy to equal the producer's table", converged, 90, 0.5)
        outbox = [row[0] for row in psql(producer_db, args.outbox_ids_sql)]
        wait_for("every outbox event in the consumer's inbox",
                 lambda: set(r[0] for r in psql(consumer_db, args.inbox_ids_sql)) >= set(outbox), 60, 0.5)
        inbox = [row[0] for row in psql(consumer_db, args.inbox_ids_sql)]
        if len(outbox) != len(set(outbox)):
            fail("the outbox holds duplicate event ids")
        if sorted(inbox) != sorted(outbox):
            missing = set(outbox) - set(inbox)
            extra = set(inbox) - set(outbox)
            fail(f"inbox != outbox: {len(missing)} missing, {len(extra)} unexpected, "
                 f"{len(inbox) - len(set(inbox))} duplicates")
        log(f"OK: {len(outbox)} events, each applied exactly once; "
            f"{len(psql(consumer_db, args.consumer_state_sql))} rows identical in both services")
        ok = True
    finally:
        for process in processes:
            if not ok and process.proc is not None:
                print(f"--- {process.name} log (last lines)\n{process.tail()}", file=sys.stderr)
            process.kill(signal.SIGKILL)
        try:
            psql("postgres", f"drop database if exists {producer_db} with (force)")
            psql("postgres", f"drop database if exists {consumer_db} with (force)")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
