#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on 127.0.0.1 (5432, 5672) and that the build
# prerequisites (C compiler, pkg-config, libpq) exist: installs the Debian packages that are
# missing and starts what is stopped. Idempotent, quiet when everything is already up.
set -euo pipefail

say() { echo "ensure-services: $*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
wait_for_port() { # port seconds name
  for _ in $(seq "$2"); do
    port_open "$1" && return 0
    sleep 1
  done
  say "$3 did not come up on port $1 within $2 s" >&2
  return 1
}

# Build prerequisites of the Rust workspace (diesel links libpq).
missing=()
command -v cc >/dev/null || missing+=(gcc)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v pg_config >/dev/null || missing+=(libpq-dev)
command -v psql >/dev/null || missing+=(postgresql-client)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# PostgreSQL
if ! port_open 5432; then
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for_port 5432 60 PostgreSQL
fi
# The suite connects as postgres over TCP without a password (trust on loopback, as on the
# development machines). A freshly installed cluster uses scram for TCP: allow loopback trust.
if ! psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null 2>&1; then
  hba=$(su postgres -c "psql -tAc 'show hba_file'" 2>/dev/null || true)
  if [ -n "$hba" ] && [ -f "$hba" ]; then
    say "allowing trust authentication on loopback in $hba"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    su postgres -c "psql -tAc 'select pg_reload_conf()'" >/dev/null
  fi
  psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null
fi

# RabbitMQ
if ! port_open 5672; then
  if ! command -v rabbitmq-server >/dev/null; then
    apt_install rabbitmq-server
  fi
  say "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for_port 5672 120 RabbitMQ
fi
