#!/usr/bin/env python3
"""End to end: catalog, started on an empty database after product's events are gone, converges
to product's listing through its backfill (product's API, through the client `svcgen add-client`
made) plus the events of what changes meanwhile.

  1. product runs against a NATS of our own; 100 products are created through its API, and
     their events published (the outbox drained).
  2. The events go: product's published outbox rows are deleted, and product moves to a new,
     empty NATS, as when the stream's events have expired (`STREAM_MAX_AGE`).
  3. catalog starts on an empty database, with a small page size so the backfill takes many
     requests, while a writer changes products through product's API: updates, deletions
     (which move the rest of product's listing up, under the backfill's offsets) and creations.
  4. catalog's copy must equal product's products, field by field and version by version,
     within the time limit; the time to converge is reported, with the backfill's own figures
     (from its `backfills` row) and how many changes were made while it ran.

usage: backfill_e2e.py --product BIN --catalog BIN --examples DIR [--products 100]
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import (  # noqa: E402
    Nats, Service, create_db, drop_db, fail, http, log, psql, set_log_prefix, wait_for,
)

CATEGORIES = ["lighting", "kitchen", "garden", "office", "toys", "audio"]
CONVERGE_WITHIN = 30.0  # seconds from catalog's start

PRODUCT_STATE = """select id::text, name, coalesce(description, ''), price_cents::text,
    stock::text, category, version::text from products order by id"""
CATALOG_STATE = """select id::text, name, description, price_cents::text, stock::text, category,
    version::text from product_copy where not deleted order by id"""


def random_product(rng, i):
    return {
        "name": f"backfill product {i:04d}",
        "description": rng.choice([None, "from backfill_e2e", "a reference product"]),
        "price_cents": rng.randrange(0, 100_000),
        "stock": rng.choice([0, 1, 3, 12, 250]),
        "category": rng.choice(CATEGORIES),
    }


def expect(status, method, url, body=None):
    got, answer, _ = http(method, url, body)
    if got != status:
        fail(f"{method} {url}: expected {status}, got {got}: {answer}")
    return answer


class Writer(threading.Thread):
    """Changes products through product's API until `changes` are made: an update, a deletion
    of one of the oldest products (the ones before the backfill's offsets), a creation."""

    def __init__(self, base, products, changes, rng):
        super().__init__(daemon=True)
        self.base, self.products, self.changes, self.rng = base, list(products), changes, rng
        self.times, self.error = [], None

    def run(self):
        try:
            for i in range(self.changes):
                kind = i % 3
                if kind == 0:
                    product = self.products[self.rng.randrange(len(self.products))]
                    body = random_product(self.rng, 9000 + i) | {"version": product["version"]}
                    updated = expect(200, "PUT", f"{self.base}/{product['id']}", body)
                    self.products[self.products.index(product)] = updated
                elif kind == 1:
                    product = self.products.pop(self.rng.randrange(min(10, len(self.products))))
                    expect(204, "DELETE", f"{self.base}/{product['id']}")
                else:
                    self.products.append(expect(201, "POST", self.base,
                                                random_product(self.rng, 8000 + i)))
                self.times.append(time.monotonic())
                time.sleep(0.01)
        except SystemExit as err:  # fail() in a thread: keep the message for the main thread
            self.error = err
        except Exception as err:  # noqa: BLE001
            self.error = err


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product", required=True)
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--examples", required=True, help="the examples/ folder")
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--page-size", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--report", help="write the figures here as JSON")
    args = parser.parse_args()
    set_log_prefix("backfill-e2e")
    rng = random.Random(args.seed)

    work = tempfile.mkdtemp(prefix="svcgen-backfill-e2e-")
    os.makedirs(os.path.join(work, "first"))
    os.makedirs(os.path.join(work, "second"))
    first_nats, second_nats = Nats(os.path.join(work, "first")), Nats(os.path.join(work, "second"))
    suffix = os.getpid()
    product_db, catalog_db = f"backfill_product_{suffix}", f"backfill_catalog_{suffix}"
    create_db(product_db)
    create_db(catalog_db)
    product = Service("product", args.product, product_db, first_nats.url, work,
                      cwd=os.path.join(args.examples, "product"))
    catalog = Service("catalog", args.catalog, catalog_db, second_nats.url, work,
                      cwd=os.path.join(args.examples, "catalog"),
                      extra_env={"PRODUCT_URL": product.url,
                                 "BACKFILL_PAGE_SIZE": str(args.page_size)})
    processes = [catalog, product, first_nats, second_nats]
    base = product.url + "/v1/products"
    ok = False
    try:
        # 1. product and its first NATS; the products, and their events published.
        first_nats.start()
        product.run("migrate")
        product.start()
        created = [expect(201, "POST", base, random_product(rng, i)) for i in range(args.products)]
        wait_for("product's outbox to drain",
                 lambda: psql(product_db, "select count(*) from outbox where published_at is null")
                 == [("0",)], 20)
        log(f"{len(created)} products created in product, their events published")

        # 2. The events go.
        deleted = psql(product_db, "with gone as (delete from outbox where published_at is not "
                                   "null returning 1) select count(*) from gone")[0][0]
        product.kill()
        first_nats.kill()
        second_nats.start()
        product.env["NATS_URL"] = second_nats.url
        product.start()
        log(f"{deleted} published outbox rows deleted; product moved to an empty NATS")

        # 3. catalog on an empty database, while products change.
        catalog.run("migrate")
        if psql(catalog_db, "select count(*) from product_copy") != [("0",)]:
            fail("catalog's database is not empty")
        # The writer starts first, so the backfill reads a listing that is changing; the events
        # of changes made before catalog subscribes wait in the new stream.
        writer = Writer(base, created, args.changes, rng)
        started = time.monotonic()
        writer.start()
        catalog.start()

        # 4. Converged: catalog's copy is product's products.
        deadline = started + CONVERGE_WITHIN
        while True:
            if not writer.is_alive():
                if writer.error:
                    fail(f"the writer failed: {writer.error}")
                if psql(catalog_db, CATALOG_STATE) == psql(product_db, PRODUCT_STATE):
                    break
            if time.monotonic() > deadline:
                theirs, ours = psql(product_db, PRODUCT_STATE), psql(catalog_db, CATALOG_STATE)
                missing = {row[0] for row in theirs} - {row[0] for row in ours}
                fail(f"not converged after {CONVERGE_WITHIN} s: product has {len(theirs)} "
                     f"products, catalog {len(ours)}; missing from catalog: {sorted(missing)[:5]}")
            time.sleep(0.05)
        converged = time.monotonic() - started

        rows = psql(catalog_db, "select duration_ms, products_read, products_copied, pages "
                                "from backfills")
        if len(rows) != 1:
            fail(f"expected one finished backfill recorded, found {rows}")
        duration_ms, read, copied, pages = (int(v) for v in rows[0])
        backfill_end = started + duration_ms / 1000
        # Counted from catalog's start, which the backfill follows within milliseconds.
        during = sum(1 for t in writer.times if t <= backfill_end)
        final = len(psql(product_db, "select id from products"))
        log(f"converged {converged:.2f} s after catalog started: {final} products, "
            f"equal field by field and version by version")
        log(f"backfill: {read} products read, {copied} copied, {pages} requests "
            f"(pages of {args.page_size}), {duration_ms} ms; {during} of {args.changes} changes "
            f"made between catalog's start and the backfill's end")
        if read < args.products - args.changes:
            fail(f"the backfill read only {read} products")

        # And the events go on after it: a change made now reaches catalog.
        product_now = expect(200, "GET", f"{base}/{writer.products[-1]['id']}")
        body = random_product(rng, 9999) | {"version": product_now["version"]}
        expect(200, "PUT", f"{base}/{product_now['id']}", body)
        wait_for("the change after the backfill to reach catalog",
                 lambda: psql(catalog_db, CATALOG_STATE) == psql(product_db, PRODUCT_STATE), 10)

        if args.report:
            with open(args.report, "w") as f:
                json.dump({"products_created": args.products, "products_at_end": final,
                           "changes": args.changes, "changes_during_backfill": during,
                           "converged_s": round(converged, 3), "backfill_ms": duration_ms,
                           "backfill_read": read, "backfill_copied": copied,
                           "backfill_requests": pages, "page_size": args.page_size}, f, indent=2)
        ok = True
    finally:
        for process in processes:
            process.kill()
        if not ok:
            for process in processes:
                print(f"--- {process.name} log (last lines)\n{process.tail()}", file=sys.stderr)
        drop_db(product_db)
        drop_db(catalog_db)
        shutil.rmtree(work, ignore_errors=True)
    log("OK")


if __name__ == "__main__":
    main()
