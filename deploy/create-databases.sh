#!/usr/bin/env bash
# Creates the five service databases when missing. The services run their own migrations at
# start-up, so nothing else is done here.
set -euo pipefail
for db in kuaidi_gateway kuaidi_customers kuaidi_shipments kuaidi_complaints kuaidi_analytics; do
  exists=$(psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='$db'")
  if [ "$exists" != 1 ]; then
    echo "create-databases: creating $db"
    createdb -h 127.0.0.1 -U postgres "$db"
  fi
done
