#!/usr/bin/env python3
"""End to end through the gateway: the reference services `product` and `catalog`, run natively
as examples/compose.yaml runs them in containers.

Both services run against the local PostgreSQL (a database each) and a NATS JetStream server of
our own; nginx runs with examples/gateway/default.conf.template rendered with the services'
names, `product` and `catalog`, resolved by a DNS server of our own (compose's gateway asks
Docker's embedded one), so the routing checked here is the routing compose uses. Through the
gateway:

  1. `product seed` loads the sample products; every one of them appears in catalog.
  2. Single creates, updates and deletes: each is visible in catalog within 1 second (the
     change-to-visible latency is measured and reported).
  3. 200 random changes; then catalog's listing equals product's, field by field.
  4. The gateway's own conventions: /healthz, a problem+json 404 outside the routed prefixes,
     and the client's x-request-id carried to the service and back.
  5. product restarts at another address under the same name, as a restarted container does:
     the gateway finds it (it resolves names at request time), and a change made through it
     reaches catalog.

usage: examples_e2e.py --product BIN --catalog BIN --examples DIR [--changes 200] [--seed 11]
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import string
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import (  # noqa: E402
    Dns, Nats, Process, Service, create_db, drop_db, fail, free_port, http, log,
    set_log_prefix, wait_for,
)

# The fields catalog copies from product, compared after every change.
COPIED = ("name", "description", "price_cents", "stock", "category")
VISIBLE_WITHIN = 1.0  # seconds, the bound
# The gateway keeps a DNS answer 5 s at most (`resolver ... valid=5s`); a restarted service is
# reached within that, plus its own start.
FOUND_AFTER_RESTART_WITHIN = 10.0
CATEGORIES = ["lighting", "kitchen", "garden", "office", "toys", "audio"]


def render_gateway(template_path, work, product_port, catalog_port, resolver):
    """The nginx image fills the template with envsubst; do the same for our four variables
    (nginx's own `$host`-style variables are left alone), inside a main config of our own.
    The upstreams are names, as under compose; `resolver` is the DNS server that knows them."""
    gateway_port = free_port()
    with open(template_path) as f:
        server = string.Template(f.read()).safe_substitute(
            PRODUCT_UPSTREAM=f"product:{product_port}",
            CATALOG_UPSTREAM=f"catalog:{catalog_port}",
            GATEWAY_RESOLVER=resolver,
            GATEWAY_PORT=str(gateway_port),
        )
    with open(os.path.join(work, "default.conf"), "w") as f:
        f.write(server)
    temp = os.path.join(work, "nginx-temp")
    os.makedirs(temp, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(os.path.join(work, "nginx.conf"), "w") as f:
        f.write(f"""{user}worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {work}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {work}/default.conf;
}}
""")
    return gateway_port


def all_pages(url):
    """Every item of a paginated list endpoint (the blueprint's envelope: items + page)."""
    items, offset = [], 0
    while True:
        separator = "&" if "?" in url else "?"
        status, body, _ = http("GET", f"{url}{separator}limit=100&offset={offset}")
        if status != 200:
            fail(f"GET {url}: {status} {body}")
        items += body["items"]
        offset += len(body["items"])
        if not body["items"] or offset >= body["page"]["total"]:
            return items


def listing(url):
    return {item["id"]: {k: item.get(k) for k in COPIED} for item in all_pages(url)}


def random_product(rng):
    return {
        "name": f"{rng.choice(['lamp', 'kettle', 'chair', 'speaker', 'rake', 'kite'])} "
                f"{rng.getrandbits(40):x}",
        "description": rng.choice([None, "made by examples_e2e", "a reference product"]),
        "price_cents": rng.randrange(0, 100_000),
        "stock": rng.choice([0, 0, 1, 3, 12, 250]),
        "category": rng.choice(CATEGORIES),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product", required=True)
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--examples", required=True, help="the examples/ folder")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--singles", type=int, default=20,
                        help="timed creates, updates and deletes (each)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--openapi-out", help="write each service's /openapi.json here")
    args = parser.parse_args()
    set_log_prefix("examples-e2e")
    rng = random.Random(args.seed)

    work = tempfile.mkdtemp(prefix="svcgen-examples-e2e-")
    nats = Nats(work)
    suffix = os.getpid()
    product_db, catalog_db = f"examples_product_{suffix}", f"examples_catalog_{suffix}"
    create_db(product_db)
    create_db(catalog_db)
    product = Service("product", args.product, product_db, nats.url, work,
                      cwd=os.path.join(args.examples, "product"))
    # catalog's backfill on its new database reads product directly, as under compose.
    catalog = Service("catalog", args.catalog, catalog_db, nats.url, work,
                      cwd=os.path.join(args.examples, "catalog"),
                      extra_env={"PRODUCT_URL": product.url})
    dns = Dns({"product": "127.0.0.1", "catalog": "127.0.0.1"})
    gateway_port = render_gateway(os.path.join(args.examples, "gateway/default.conf.template"),
                                  work, product.port, catalog.port, dns.address)
    nginx = Process("nginx", [args.nginx, "-p", work, "-c", os.path.join(work, "nginx.conf")],
                    dict(os.environ), work)
    gateway = f"http://127.0.0.1:{gateway_port}"
    processes = [nginx, product, catalog, nats]
    ok = False
    try:
        # The order compose's healthchecks and depends_on give: broker, migrations, services,
        # gateway.
        nats.start()
        product.run("migrate")
        catalog.run("migrate")
        product.start()
        catalog.start()
        nginx.start()
        wait_for("gateway /healthz", lambda: http("GET", gateway + "/healthz")[0] == 200, 10)
        products, catalog_products = gateway + "/product/v1/products", gateway + "/catalog/v1/products"

        check_gateway(gateway)
        if args.openapi_out:
            save_openapi(gateway, args.openapi_out)

        # 1. Sample data flows from product to catalog.
        product.run("seed")
        seeded = listing(products)
        if len(seeded) < 10:
            fail(f"`product seed` loaded only {len(seeded)} products")
        wait_for(f"the {len(seeded)} seed products in catalog",
                 lambda: listing(catalog_products) == seeded, 15)
        log(f"seed: {len(seeded)} products, all in catalog with the same fields")

        # 2. Each change visible in catalog within a second.
        latencies = {"create": [], "update": [], "delete": []}
        for _ in range(args.singles):
            fields = random_product(rng)
            started = time.monotonic()
            status, created, _ = http("POST", products, fields)
            if status != 201:
                fail(f"POST {products}: {status} {created}")
            latencies["create"].append(visible(catalog_products, created["id"], fields, started))

            changed = random_product(rng) | {"version": created["version"]}
            started = time.monotonic()
            status, body, _ = http("PUT", f"{products}/{created['id']}", changed)
            if status != 200:
                fail(f"PUT {products}/{created['id']}: {status} {body}")
            latencies["update"].append(visible(catalog_products, created["id"], changed, started))

            started = time.monotonic()
            status, body, _ = http("DELETE", f"{products}/{created['id']}")
            if status != 204:
                fail(f"DELETE {products}/{created['id']}: {status} {body}")
            latencies["delete"].append(visible(catalog_products, created["id"], None, started))
        everything = sorted(sum(latencies.values(), []))
        worst = everything[-1]
        log(f"change-to-visible in catalog over {len(everything)} changes: "
            f"median {statistics.median(everything) * 1000:.0f} ms, "
            f"p99 {everything[int(len(everything) * 0.99) - 1] * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms")
        if worst > VISIBLE_WITHIN:
            fail(f"a change took {worst:.2f}s to reach catalog (bound {VISIBLE_WITHIN}s)")

        # 3. Random changes; then the two listings agree.
        live = {pid: None for pid in seeded}
        for _ in range(args.changes):
            random_change(rng, products, live)
        want = listing(products)
        if set(want) != set(live):
            fail("product's listing does not hold the products this run left")
        wait_for(f"catalog to match product after {args.changes} random changes",
                 lambda: listing(catalog_products) == want, 15)
        log(f"{args.changes} random changes: catalog's {len(want)} products equal product's, "
            "field by field")

        # 5. A restart at a new address, under the same name and port.
        follows_restart(product, dns, gateway, products, catalog_products, rng)
        ok = True
    finally:
        for process in processes:
            process.kill()
        if not ok:
            for process in processes:
                print(f"--- {process.name} log (last lines)\n{process.tail()}", file=sys.stderr)
        dns.close()
        drop_db(product_db)
        drop_db(catalog_db)
        shutil.rmtree(work, ignore_errors=True)
    log("OK")


def follows_restart(product, dns, gateway, products, catalog_products, rng):
    """product stops, and starts again at 127.0.0.2; the name `product` now resolves there.
    An nginx that resolved its upstreams once would keep sending to 127.0.0.1, where nothing
    listens any more."""
    product.kill(signal.SIGTERM)
    product.move_to("127.0.0.2")
    dns.records["product"] = "127.0.0.2"
    queries = dns.queries
    started = time.monotonic()
    product.start()
    wait_for("the gateway to reach product at its new address",
             lambda: http("GET", gateway + "/product/livez")[0] == 200, FOUND_AFTER_RESTART_WITHIN)
    found = time.monotonic() - started
    if dns.queries == queries:
        fail("the gateway reached the restarted product without asking DNS again")
    fields = random_product(rng)
    status, created, _ = http("POST", products, fields)
    if status != 201:
        fail(f"POST {products} after product's restart: {status} {created}")
    visible(catalog_products, created["id"], fields, time.monotonic())
    log(f"restart: product moved to 127.0.0.2, reached through the gateway {found:.1f} s after "
        "it started again; a product created then reached catalog")


def check_gateway(gateway):
    status, body, headers = http("GET", gateway + "/nowhere")
    if status != 404 or not headers.get("content-type", "").startswith("application/problem+json"):
        fail(f"gateway outside the routed prefixes: {status} {headers.get('content-type')} {body}")
    request_id = "examples-e2e-0001"
    for service in ("product", "catalog"):
        status, _, headers = http("GET", f"{gateway}/{service}/livez",
                                  headers={"x-request-id": request_id})
        if status != 200 or headers.get("x-request-id") != request_id:
            fail(f"{service} through the gateway: {status}, x-request-id "
                 f"{headers.get('x-request-id')!r} (sent {request_id!r})")
    log("gateway: /healthz, problem+json 404 elsewhere, x-request-id carried through")


def save_openapi(gateway, out_dir):
    """Each service's OpenAPI document as the gateway serves it, for the validator."""
    for service in ("product", "catalog"):
        request = urllib.request.Request(f"{gateway}/{service}/openapi.json")
        with urllib.request.urlopen(request, timeout=10) as response:
            with open(os.path.join(out_dir, f"{service}.openapi.json"), "wb") as f:
                f.write(response.read())


def visible(catalog_products, product_id, fields, started):
    """Seconds from `started` until catalog shows `fields` for the product (None: gone)."""
    url = f"{catalog_products}/{product_id}"
    deadline = started + 10
    while time.monotonic() < deadline:
        status, body, _ = http("GET", url)
        if fields is None and status == 404:
            return time.monotonic() - started
        if fields is not None and status == 200 and all(body.get(k) == fields[k] for k in COPIED):
            return time.monotonic() - started
        time.sleep(0.005)
    fail(f"{url} did not show {fields} within 10 s; last: {status} {body}")


def random_change(rng, products, live):
    kind = rng.random()
    if kind < 0.35 or not live:
        status, body, _ = http("POST", products, random_product(rng))
        if status != 201:
            fail(f"create: {status} {body}")
        live[body["id"]] = body["version"]
        return
    product_id = rng.choice(sorted(live))
    if kind < 0.5:
        status, body, _ = http("DELETE", f"{products}/{product_id}")
        if status != 204:
            fail(f"delete {product_id}: {status} {body}")
        del live[product_id]
        return
    status, current, _ = http("GET", f"{products}/{product_id}")
    if status != 200:
        fail(f"get {product_id}: {status} {current}")
    change = {k: current[k] for k in COPIED} | {"version": current["version"]}
    change |= {k: v for k, v in random_product(rng).items() if rng.random() < 0.5}
    status, body, _ = http("PUT", f"{products}/{product_id}", change)
    if status != 200:
        fail(f"update {product_id}: {status} {body}")
    live[product_id] = body["version"]


if __name__ == "__main__":
    main()
