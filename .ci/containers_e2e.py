#!/usr/bin/env python3
"""The deployment path, run in containers: each service's image built from its own Dockerfile
and run the way a platform runs it, then the compose stacks brought up on the Docker engine.

images, for each --image TAG=DIR:
  1. `docker build` (legacy builder, host network; the base images are .ci/docker-engine.sh's
     stand-ins, tagged with the names the Dockerfile uses); build time and image size reported.
  2. `migrate` as a one-off container against the machine's PostgreSQL: exits 0 and records the
     service's migrations.
  3. `serve`: the image's own HEALTHCHECK turns healthy, the process runs as uid 65532,
     `/readyz` answers 200 (a service with events also needs its NATS: one of our own).
  4. SIGTERM: `/readyz` answers 503 while the service drains, then it exits 0 within the grace
     period compose and Kubernetes give it (30 s).

compose, for the generated service (--compose-service TAG=DIR) and examples/compose.yaml
(--examples DIR): `docker compose up` with the CI override from .ci/compose/ (host networking,
`extra_hosts` for the service names, ports moved off the machine's own, the machine's
PostgreSQL behind a `db` that only reports it ready). The healthchecks and `depends_on`
conditions order the start; then the stack is used as a person would: the generated service
answers through its port, and a product created through the examples' gateway appears in
catalog, also after product's container restarts.

Every container runs with host networking: this engine has no bridge network and creates none.

usage: containers_e2e.py --root REPO --work DIR --report FILE
                         --image TAG=DIR [--image ...]
                         [--compose-service TAG=DIR] [--examples DIR]
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import (  # noqa: E402
    PG, Dns, Nats, create_db, drop_db, fail, free_port, http, log, psql, set_log_prefix,
    wait_for,
)

# compose's stop_grace_period and the Deployment's terminationGracePeriodSeconds.
GRACE_PERIOD = 30.0
# The Dockerfile's HEALTHCHECK: first probe after --interval (10 s), healthy on its first pass.
HEALTHY_WITHIN = 60.0


def docker(*args, check=True, capture=True, env=None):
    result = subprocess.run(["docker", *args], capture_output=capture, text=True, env=env)
    if check and result.returncode != 0:
        fail(f"docker {' '.join(args)} exited {result.returncode}:\n"
             f"{(result.stderr or '')[-3000:]}")
    return result


def inspect(container, template):
    return docker("inspect", "-f", template, container).stdout.strip()


def container_logs(container):
    out = docker("logs", "--tail", "60", container, check=False)
    return (out.stdout or "") + (out.stderr or "")


def uses_events(directory):
    """A service with an events part reads NATS_URL (its .env.example says so)."""
    with open(os.path.join(directory, ".env.example")) as f:
        return any(line.startswith("NATS_URL=") for line in f)


def build(tag, directory, log_dir):
    """`make docker-build`, as a team builds its image; the legacy builder and the host's
    network, as this engine needs."""
    started = time.monotonic()
    image, _, image_tag = tag.rpartition(":")
    log_path = os.path.join(log_dir, f"build-{tag.replace('/', '_').replace(':', '_')}.log")
    with open(log_path, "w") as out:
        result = subprocess.run(
            ["make", "--no-print-directory", "-C", directory, "docker-build", f"IMAGE={image}",
             f"TAG={image_tag}", "DOCKER_BUILD_FLAGS=--network host"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        with open(log_path) as f:
            fail(f"make docker-build in {directory} failed:\n{''.join(f.readlines()[-40:])}")
    size = int(inspect(tag, "{{.Size}}"))
    log(f"{tag}: built in {seconds:.0f} s, {size / 1e6:.0f} MB")
    return {"build_seconds": round(seconds, 1), "size_bytes": size}


def process_uid(container):
    pid = inspect(container, "{{.State.Pid}}")
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])  # the real uid
    fail(f"no Uid line for {container}'s process {pid}")


def wait_healthy(container, timeout):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        state = inspect(container, "{{.State.Status}} {{.State.Health.Status}}")
        if state == "running healthy":
            return time.monotonic() - started
        if not state.startswith("running"):
            fail(f"{container} stopped ({state}) before turning healthy:\n"
                 f"{container_logs(container)}")
        time.sleep(0.5)
    fail(f"{container} did not turn healthy within {timeout:.0f} s:\n{container_logs(container)}")


def run_image(tag, name, work, nats):
    """Steps 2 to 4 for one image."""
    database = f"ci_image_{name.replace('-', '_')}"
    create_db(database)
    port = free_port()
    env = {
        "APP_ENV": "production",
        # Host networking: keep the service on loopback, the only place traffic may go here.
        "APP_HOST": "127.0.0.1",
        "APP_PORT": str(port),
        "DATABASE_URL": f"{PG}/{database}",
        "RUST_LOG": "info",
    }
    if nats is not None:
        env["NATS_URL"] = nats.url
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    container = f"svcgen-ci-{name}"
    docker("rm", "-f", f"{container}-migrate", container, check=False)
    try:
        docker("run", "--name", f"{container}-migrate", "--network", "host", *env_args, tag,
               "migrate")
        exit_code = inspect(f"{container}-migrate", "{{.State.ExitCode}}")
        if exit_code != "0":
            fail(f"{name}: migrate exited {exit_code}")
        applied = psql(database, "select count(*) from _sqlx_migrations where success")[0][0]
        if int(applied) < 1:
            fail(f"{name}: migrate exited 0 but recorded no migration")

        docker("run", "-d", "--name", container, "--network", "host", *env_args, tag)
        healthy_after = wait_healthy(container, HEALTHY_WITHIN)
        uid = process_uid(container)
        if uid != 65532:
            fail(f"{name}: the service runs as uid {uid}, not 65532")
        url = f"http://127.0.0.1:{port}"
        status, body, _ = http("GET", url + "/readyz")
        if status != 200:
            fail(f"{name}: /readyz answered {status}: {body}")

        docker("kill", "--signal", "TERM", container)
        stopping = time.monotonic()
        drained_503 = False
        while inspect(container, "{{.State.Running}}") == "true":
            if time.monotonic() - stopping > GRACE_PERIOD:
                fail(f"{name}: still running {GRACE_PERIOD:.0f} s after SIGTERM")
            try:
                drained_503 = drained_503 or http("GET", url + "/readyz")[0] == 503
            except OSError:
                pass  # the listener has closed
            time.sleep(0.2)
        stopped_after = time.monotonic() - stopping
        exit_code = inspect(container, "{{.State.ExitCode}}")
        if exit_code != "0":
            fail(f"{name}: exited {exit_code} after SIGTERM:\n{container_logs(container)}")
        if not drained_503:
            fail(f"{name}: /readyz never answered 503 between SIGTERM and exit")
        log(f"{name}: migrate ok ({applied} migrations), healthy after {healthy_after:.1f} s, "
            f"uid {uid}, /readyz 200; SIGTERM: /readyz 503, exit 0 after {stopped_after:.1f} s")
        return {"migrations": int(applied), "healthy_after_seconds": round(healthy_after, 1),
                "uid": uid, "stopped_after_seconds": round(stopped_after, 1)}
    finally:
        docker("rm", "-f", f"{container}-migrate", container, check=False)
        drop_db(database)


class Compose:
    """`docker compose` for one project, with its files and the override's variables."""

    def __init__(self, project, directory, files, variables):
        self.project, self.directory = project, directory
        self.base = ["docker-compose", "--project-name", project, "--project-directory",
                     directory]
        for path in files:
            self.base += ["-f", path]
        self.env = {**os.environ, **variables}

    def __call__(self, *args, check=True):
        result = subprocess.run([*self.base, *args], capture_output=True, text=True,
                                env=self.env)
        if check and result.returncode != 0:
            fail(f"docker compose {' '.join(args)} exited {result.returncode}:\n"
                 f"{result.stderr[-3000:]}\n{self.logs()}")
        return result.stdout

    def make(self, target):
        """A target of the service's Makefile, with this project's compose command."""
        result = subprocess.run(
            ["make", "--no-print-directory", "-C", self.directory, target,
             f"COMPOSE={shlex.join(self.base)}"],
            capture_output=True, text=True, env=self.env)
        if result.returncode != 0:
            fail(f"make {target} exited {result.returncode}:\n{result.stdout[-2000:]}"
                 f"{result.stderr[-3000:]}\n{self.logs()}")

    def logs(self):
        result = subprocess.run([*self.base, "logs", "--no-color", "--tail", "30"],
                                capture_output=True, text=True, env=self.env)
        return result.stdout[-6000:]

    def states(self):
        """service -> (state, health, exit code), one-offs that have exited included."""
        out = self("ps", "--all", "--format", "json")
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(rows) == 1 and isinstance(rows[0], list):
            rows = rows[0]
        return {row["Service"]: (row["State"], row.get("Health", ""), row.get("ExitCode", 0))
                for row in rows}

    def wait_up(self, services, one_offs, timeout):
        """Every service running and healthy, every one-off exited 0."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            states = self.states()
            for one_off in one_offs:
                state = states.get(one_off)
                if state and state[0] == "exited" and state[2] != 0:
                    fail(f"{self.project}: {one_off} exited {state[2]}:\n{self.logs()}")
            if all(states.get(s, ("",))[0] == "running" and states[s][1] in ("healthy", "")
                   for s in services) \
                    and all(states.get(s, ("",))[0] == "exited" for s in one_offs):
                return time.monotonic() - started
            time.sleep(1)
        fail(f"{self.project}: not up within {timeout:.0f} s: {self.states()}\n{self.logs()}")

    def networks(self):
        return docker("network", "ls", "--filter", f"label=com.docker.compose.project="
                      f"{self.project}", "--format", "{{.Name}}").stdout.split()

    def down(self):
        self("down", "--volumes", "--remove-orphans", "--timeout", "30", check=False)


def compose_service(root, tag, directory):
    """The generated service's compose.yaml (db, migrate one-off, app) with the CI override."""
    image, _, image_tag = tag.rpartition(":")
    database = "ci_compose_service"
    create_db(database)
    port = free_port()
    compose = Compose("svcgen-ci-service", directory,
                      [os.path.join(directory, "compose.yaml"),
                       os.path.join(root, ".ci/compose/service.yaml")],
                      {"IMAGE": image, "TAG": image_tag, "CI_APP_PORT": str(port),
                       "CI_DATABASE": database})
    compose.down()
    try:
        started = time.monotonic()
        # The team's `make up`; it returns once what the app depends on is up, wait_up the rest.
        compose.make("up")
        compose.wait_up(["db", "app"], ["migrate"], 120)
        up_after = time.monotonic() - started
        if compose.networks():
            fail(f"compose created networks {compose.networks()}: every service must use host "
                 "networking here")
        status, body, _ = http("GET", f"http://127.0.0.1:{port}/readyz")
        if status != 200:
            fail(f"service under compose: /readyz answered {status}: {body}")
        status, body, _ = http("GET", f"http://127.0.0.1:{port}/openapi.json")
        if status != 200 or body.get("openapi", "").split(".")[0] != "3":
            fail(f"service under compose: /openapi.json answered {status}")
        compose("stop", "--timeout", str(int(GRACE_PERIOD)), "app")
        exit_code = compose.states()["app"][2]
        if exit_code != 0:
            fail(f"service under compose: app exited {exit_code} on stop:\n{compose.logs()}")
        log(f"compose (generated service, `make up`): db ready, migrate done, app healthy after "
            f"{up_after:.0f} s; /readyz and /openapi.json answer; `stop` exits 0")
        return {"up_after_seconds": round(up_after, 1)}
    finally:
        compose.down()
        drop_db(database)


def compose_examples(root, examples, work):
    """examples/compose.yaml (db, nats, migrations, product, catalog, gateway) with the CI
    override; a product made through the gateway appears in catalog."""
    databases = {"product": "ci_compose_product", "catalog": "ci_compose_catalog"}
    for database in databases.values():
        create_db(database)
    ports = {key: free_port() for key in ("product", "catalog", "gateway", "nats",
                                          "nats_monitor")}
    # nginx asks DNS for the upstreams' names (the template's `resolver`), as it asks Docker's
    # embedded DNS under compose; with host networking that is a DNS server of ours.
    dns = Dns({"product": "127.0.0.1", "catalog": "127.0.0.1"})
    compose = Compose("svcgen-ci-examples", examples,
                      [os.path.join(examples, "compose.yaml"),
                       os.path.join(root, ".ci/compose/examples.yaml")],
                      {"CI_PRODUCT_PORT": str(ports["product"]),
                       "CI_CATALOG_PORT": str(ports["catalog"]),
                       "CI_GATEWAY_PORT": str(ports["gateway"]),
                       "CI_NATS_PORT": str(ports["nats"]),
                       "CI_NATS_MONITOR_PORT": str(ports["nats_monitor"]),
                       "CI_PRODUCT_DATABASE": databases["product"],
                       "CI_CATALOG_DATABASE": databases["catalog"],
                       "CI_RESOLVER": dns.address})
    compose.down()
    try:
        started = time.monotonic()
        compose("up", "--detach", "--no-build", "--pull", "never")
        compose.wait_up(["db", "nats", "product", "catalog", "gateway"],
                        ["product-migrate", "catalog-migrate"], 180)
        up_after = time.monotonic() - started
        if compose.networks():
            fail(f"compose created networks {compose.networks()}: every service must use host "
                 "networking here")
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        products, catalog = gateway + "/product/v1/products", gateway + "/catalog/v1/products"

        def appears_in_catalog(fields, within):
            status, created, _ = http("POST", products, fields)
            if status != 201:
                fail(f"POST {products}: {status} {created}")
            started = time.monotonic()

            def copied():
                status, body, _ = http("GET", f"{catalog}/{created['id']}")
                return status == 200 and all(body[k] == v for k, v in fields.items())
            wait_for(f"product {created['id']} in catalog", copied, within)
            return time.monotonic() - started

        first = appears_in_catalog({"name": "compose lamp", "description": "made in CI",
                                    "price_cents": 1999, "stock": 3, "category": "lighting"}, 10)
        # A restarted container: the gateway resolves names per request, so it finds product
        # again, and product's relay resumes publishing.
        compose("restart", "--timeout", str(int(GRACE_PERIOD)), "product")
        compose.wait_up(["product"], [], 60)
        wait_for("product through the gateway after its restart",
                 lambda: http("GET", gateway + "/product/readyz")[0] == 200, 30)
        second = appears_in_catalog({"name": "compose kettle", "description": None,
                                     "price_cents": 4500, "stock": 0, "category": "kitchen"}, 10)
        if dns.queries == 0:
            fail("the gateway never asked its resolver for the services' names")
        log(f"compose (examples): every service healthy after {up_after:.0f} s; a product made "
            f"through the gateway was in catalog after {first:.2f} s, and {second:.2f} s after "
            "product's container restarted")
        return {"up_after_seconds": round(up_after, 1),
                "visible_in_catalog_seconds": [round(first, 2), round(second, 2)]}
    finally:
        compose.down()
        dns.close()
        for database in databases.values():
            drop_db(database)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--image", action="append", default=[], metavar="TAG=DIR")
    parser.add_argument("--compose-service", metavar="TAG=DIR")
    parser.add_argument("--examples")
    args = parser.parse_args()
    set_log_prefix("containers")

    report = {"images": {}, "compose": {}}
    nats = Nats(args.work)
    nats.start()
    try:
        for pair in args.image:
            tag, _, directory = pair.partition("=")
            name = os.path.basename(os.path.normpath(directory))
            figures = build(tag, directory, args.work)
            figures.update(run_image(tag, name, args.work,
                                     nats if uses_events(directory) else None))
            report["images"][tag] = figures
    finally:
        nats.kill()
    if args.compose_service:
        tag, _, directory = args.compose_service.partition("=")
        report["compose"]["service"] = compose_service(args.root, tag, directory)
    if args.examples:
        report["compose"]["examples"] = compose_examples(args.root, args.examples, args.work)
    with open(args.report, "w") as f:
        json.dump(report, f, indent=2)
    log(f"all green; figures in {args.report}")


if __name__ == "__main__":
    main()
