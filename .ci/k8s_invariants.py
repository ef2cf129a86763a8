#!/usr/bin/env python3
"""What the schemas and checkov cannot know: that a service's rendered Kubernetes manifests
agree with the rest of the service.

  - the pods run as the Dockerfile's `USER`, on the port its `APP_PORT` names, from the image
    the Makefile's `IMAGE` names;
  - the probes: startup and liveness on /livez, readiness on /readyz, all on that port;
  - terminationGracePeriodSeconds is longer than SHUTDOWN_DRAIN_SECS plus REQUEST_TIMEOUT_SECS
    as the ConfigMap sets them (the service's defaults where it does not: src/config.rs);
  - the migration runs before `serve` (an init container `migrate`) with the same image and
    configuration, and DATABASE_URL comes from a Secret, never from the ConfigMap.

usage: k8s_invariants.py SERVICE_DIR RENDERED.yaml...   (run with a Python that has PyYAML)
Prints one line per file; exits 1 naming every broken invariant.
"""

import os
import re
import sys

import yaml

# The service's own defaults (src/config.rs), used when the ConfigMap leaves a setting out.
DEFAULTS = {"SHUTDOWN_DRAIN_SECS": 5, "REQUEST_TIMEOUT_SECS": 30}


def service_facts(service_dir):
    with open(os.path.join(service_dir, "Dockerfile")) as f:
        dockerfile = f.read()
    with open(os.path.join(service_dir, "Makefile")) as f:
        makefile = f.read()
    user = re.search(r"^USER (\d+)(?::(\d+))?$", dockerfile, re.M)
    port = re.search(r"APP_PORT=(\d+)", dockerfile)
    image = re.search(r"^IMAGE \?= (\S+)$", makefile, re.M)
    if not (user and port and image):
        sys.exit(f"k8s-invariants: cannot read USER/APP_PORT from the Dockerfile or IMAGE from "
                 f"the Makefile in {service_dir}")
    return {"user": int(user.group(1)), "group": int(user.group(2) or user.group(1)),
            "port": int(port.group(1)), "image": image.group(1)}


def check(path, facts):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    problems = []
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    deployments = by_kind.get("Deployment", [])
    if len(deployments) != 1:
        return [f"expected one Deployment, found {len(deployments)}"]
    deployment = deployments[0]
    pod = deployment["spec"]["template"]["spec"]
    config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}

    security = pod.get("securityContext", {})
    if security.get("runAsUser") != facts["user"] or security.get("runAsGroup") != facts["group"]:
        problems.append(f"pod runs as {security.get('runAsUser')}:{security.get('runAsGroup')}, "
                        f"the Dockerfile as {facts['user']}:{facts['group']}")

    containers = pod.get("containers", [])
    init = pod.get("initContainers", [])
    if len(containers) != 1:
        return problems + [f"expected one container, found {len(containers)}"]
    app = containers[0]
    migrate = [c for c in init if c.get("args") == ["migrate"]]
    if app.get("args") != ["serve"]:
        problems.append(f"the container runs {app.get('args')}, not serve")
    if len(migrate) != 1:
        problems.append("no init container runs `migrate`")

    for c in containers + init:
        repo = c["image"].rsplit("@", 1)[0]
        repo = repo.rsplit(":", 1)[0] if ":" in repo.rsplit("/", 1)[-1] else repo
        if repo != facts["image"]:
            problems.append(f"{c['name']}: image {c['image']}, the Makefile builds {facts['image']}")
        env_names = {e["name"]: e for e in c.get("env", [])}
        url = env_names.get("DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef")
        if not url:
            problems.append(f"{c['name']}: DATABASE_URL is not read from a Secret")
        refs = [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
        for ref in refs:
            if ref not in config_maps:
                problems.append(f"{c['name']}: ConfigMap {ref} is not in the output")
            elif "DATABASE_URL" in config_maps[ref]:
                problems.append(f"ConfigMap {ref} holds DATABASE_URL")
    if migrate and (migrate[0].get("envFrom") != app.get("envFrom")
                    or migrate[0].get("env") != app.get("env")
                    or migrate[0]["image"] != app["image"]):
        problems.append("the migrate init container's image or configuration differs from serve's")

    settings = {}
    for e in app.get("envFrom", []):
        settings.update(config_maps.get(e.get("configMapRef", {}).get("name"), {}))
    if int(settings.get("APP_PORT", facts["port"])) != facts["port"]:
        problems.append(f"APP_PORT {settings['APP_PORT']}, the Dockerfile's is {facts['port']}")
    ports = {p.get("name"): p["containerPort"] for p in app.get("ports", [])}
    if ports.get("http") != facts["port"]:
        problems.append(f"container port http is {ports.get('http')}, the service's {facts['port']}")

    for probe, want in (("startupProbe", "/livez"), ("livenessProbe", "/livez"),
                        ("readinessProbe", "/readyz")):
        get = app.get(probe, {}).get("httpGet", {})
        if get.get("path") != want or get.get("port") not in ("http", facts["port"]):
            problems.append(f"{probe}: GET {get.get('path')} on {get.get('port')}, want {want} on http")

    drain = int(settings.get("SHUTDOWN_DRAIN_SECS", DEFAULTS["SHUTDOWN_DRAIN_SECS"]))
    request = int(settings.get("REQUEST_TIMEOUT_SECS", DEFAULTS["REQUEST_TIMEOUT_SECS"]))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= drain + request:
        problems.append(f"terminationGracePeriodSeconds {grace} is not longer than "
                        f"SHUTDOWN_DRAIN_SECS {drain} + REQUEST_TIMEOUT_SECS {request}")

    for kind in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
        if kind not in by_kind:
            problems.append(f"no {kind}")
    return problems


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: k8s_invariants.py SERVICE_DIR RENDERED.yaml...")
    facts = service_facts(sys.argv[1])
    failed = False
    for path in sys.argv[2:]:
        problems = check(path, facts)
        for problem in problems:
            print(f"k8s-invariants: {os.path.basename(path)}: {problem}", file=sys.stderr)
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
