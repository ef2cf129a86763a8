#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL (127.0.0.1:5432) and NATS (127.0.0.1:4222) are up, starting
# them the way the machine starts them. Idempotent; never stops anything.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 0.5
  done
  echo "ensure-services: $name did not come up on port $port" >&2
  return 1
}

if ! port_open 5432; then
  echo "ensure-services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
wait_port 5432 PostgreSQL

if ! port_open 4222; then
  echo "ensure-services: starting NATS"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
wait_port 4222 NATS
