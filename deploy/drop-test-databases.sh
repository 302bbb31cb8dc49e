#!/usr/bin/env bash
# Drops the databases tests created (kt_*) in earlier runs.
set -euo pipefail
for db in $(psql -h 127.0.0.1 -U postgres -tAc "select datname from pg_database where datname like 'kt\_%'"); do
  dropdb -h 127.0.0.1 -U postgres --force "$db" || true
done
