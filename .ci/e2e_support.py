"""What svcgen's end-to-end checks share: processes we start, kill and restart, the local
PostgreSQL, a NATS JetStream server of our own, and a small JSON-over-HTTP client.

The machine's own services are never stopped: databases are created per run, and each run
starts `nats-server -js` on a free port with its own store directory.
"""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

PG = "postgres://postgres@127.0.0.1:5432"

_prefix = "e2e"


def set_log_prefix(prefix):
    global _prefix
    _prefix = prefix


def log(message):
    print(f"{_prefix}: {message}", flush=True)


def fail(message):
    print(f"{_prefix}: FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(db, sql):
    out = subprocess.run(
        ["psql", f"{PG}/{db}", "-XAtqF", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def create_db(name):
    psql("postgres", f"drop database if exists {name} with (force)")
    psql("postgres", f"create database {name}")


def drop_db(name):
    psql("postgres", f"drop database if exists {name} with (force)")


def wait_for(what, predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - not up yet is any error
            pass
        time.sleep(interval)
    fail(f"timed out after {timeout}s waiting for {what}")


def http(method, url, body=None, headers=None):
    """(status, parsed JSON body or None, response headers)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, _body(response.read(), response.headers), response.headers
    except urllib.error.HTTPError as err:
        return err.code, _body(err.read(), err.headers), err.headers


def _body(raw, headers):
    """JSON (application/json, application/problem+json) parsed; anything else as text."""
    if not raw:
        return None
    if "json" in headers.get("content-type", ""):
        return json.loads(raw)
    return raw.decode(errors="replace")


class Process:
    """A service or broker process we can kill and start again with the same arguments."""

    def __init__(self, name, argv, env, log_dir, cwd=None):
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc = None

    def start(self):
        log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd,
                                     stdout=log_file, stderr=log_file)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class Nats(Process):
    """`nats-server -js` on a free port, its store under `work`."""

    def __init__(self, work, binary=None):
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        binary = binary or shutil.which("nats-server") or "/usr/sbin/nats-server"
        super().__init__("nats", [binary, "-js", "-a", "127.0.0.1", "-p", str(self.port),
                                  "-sd", os.path.join(work, "jetstream")], dict(os.environ), work)

    def start(self):
        super().start()
        wait_for("nats", lambda: socket.create_connection(("127.0.0.1", self.port), 1).close()
                 is None, 10)


class Dns:
    """A DNS server on a free UDP port of 127.0.0.1 answering A queries from `records`
    (name -> IPv4 address), which may be changed while it runs, as Docker's embedded DNS
    answers for containers; any other name is NXDOMAIN. Answers live 1 second."""

    def __init__(self, records):
        self.records = dict(records)
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                query, client = self.sock.recvfrom(512)
                self.sock.sendto(self._answer(query), client)
            except OSError:
                return  # closed
            except Exception:  # noqa: BLE001 - a malformed query gets no answer
                continue

    def _answer(self, query):
        (qid,) = struct.unpack("!H", query[:2])
        labels, i = [], 12
        while query[i]:
            labels.append(query[i + 1:i + 1 + query[i]].decode())
            i += 1 + query[i]
        qtype, _ = struct.unpack("!HH", query[i + 1:i + 5])
        question = query[12:i + 5]
        self.queries += 1
        address = self.records.get(".".join(labels).lower())
        if address is None or qtype != 1:
            rcode = 3 if address is None else 0  # NXDOMAIN, or no AAAA for a known name
            return struct.pack("!HHHHHH", qid, 0x8580 | rcode, 1, 0, 0, 0) + question
        answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 1, 4) + socket.inet_aton(address)
        return struct.pack("!HHHHHH", qid, 0x8580, 1, 1, 0, 0) + question + answer

    def close(self):
        self.sock.close()


class Service(Process):
    """A service made by svcgen, run natively: `migrate`, then `serve` on a free port."""

    def __init__(self, name, binary, db, nats_url, log_dir, extra_env=None, cwd=None,
                 host="127.0.0.1"):
        self.port = free_port()
        env = dict(os.environ)
        env.update({
            "APP_ENV": "production",
            "APP_HOST": host,
            "APP_PORT": str(self.port),
            "DATABASE_URL": f"{PG}/{db}",
            "NATS_URL": nats_url,
            "RUST_LOG": "info",
            "SHUTDOWN_DRAIN_SECS": "0",
        })
        env.update(extra_env or {})
        super().__init__(name, [binary, "serve"], env, log_dir, cwd)
        self.binary = binary
        self.url = f"http://{host}:{self.port}"

    def move_to(self, host):
        """Serve on `host` (another loopback address) from the next start, on the same port:
        what a restarted container does, under the same name and port at a new address."""
        self.env["APP_HOST"] = host
        self.url = f"http://{host}:{self.port}"

    def run(self, *command):
        subprocess.run([self.binary, *command], env=self.env, cwd=self.cwd, check=True)

    def start(self):
        super().start()
        wait_for(f"{self.name} /livez", lambda: http("GET", self.url + "/livez")[0] == 200, 30)
