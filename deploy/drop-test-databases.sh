#!/usr/bin/env bash
# Drops the databases earlier test runs left behind (tests create theirs as kt_<something>).
set -euo pipefail
dbs=$(psql -h 127.0.0.1 -U postgres -tAc "select datname from pg_database where datname like 'kt\_%'")
[ -n "$dbs" ] || exit 0
echo "drop-test-databases: dropping $(wc -w <<<"$dbs") leftover test databases"
for db in $dbs; do
  # Templates (kt_tpl_*) must stop being templates before they can be dropped.
  psql -h 127.0.0.1 -U postgres -qtAc "ALTER DATABASE \"$db\" IS_TEMPLATE false" >/dev/null 2>&1 || true
  dropdb -h 127.0.0.1 -U postgres --force "$db" || true
done
