#!/usr/bin/env bash
# Run once by the postgres image on an empty volume: one database and one owner per service, so
# neither service can read the other's tables (catalog learns about products only from events).
set -euo pipefail

for service in product catalog; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE USER ${service} WITH PASSWORD '${service}';
CREATE DATABASE ${service} OWNER ${service};
SQL
done
