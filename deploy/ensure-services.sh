#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on 127.0.0.1 (5432, 5672) and that the build and
# script prerequisites (C compiler, pkg-config, libpq, psql, curl, make) exist: installs the
# Debian packages that are missing and starts what is stopped. Idempotent, needs no stdin, and
# prints nothing when everything is already there.
set -euo pipefail

say() { echo "ensure-services: $*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_up() {
  if command -v pg_isready >/dev/null; then pg_isready -q -h 127.0.0.1 -p 5432; else port_open 5432; fi
}
as_postgres() { (cd / && su postgres -c "$1"); }
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
wait_for() { # seconds name command...
  local seconds=$1 name=$2
  shift 2
  for _ in $(seq "$seconds"); do
    "$@" && return 0
    sleep 1
  done
  say "$name did not come up within $seconds s" >&2
  return 1
}

# Build prerequisites of the workspace (diesel links libpq) and tools the scripts use.
missing=()
command -v cc >/dev/null || missing+=(gcc)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v pg_config >/dev/null || missing+=(libpq-dev)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v curl >/dev/null || missing+=(curl)
command -v make >/dev/null || missing+=(make)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# PostgreSQL
if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-client libpq-dev
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting PostgreSQL $version"
  # Fails harmlessly when the package's own start script already started it.
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for 60 PostgreSQL pg_up
fi
# Everything here (the services' defaults, the tests) connects as postgres over TCP without a
# password, as on the development machines (trust on loopback). A freshly installed Debian
# cluster asks for a password over TCP: switch its loopback lines to trust.
if ! psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null 2>&1; then
  hba=$(as_postgres "psql -tAc 'show hba_file'" 2>/dev/null || true)
  if [ -n "$hba" ] && [ -f "$hba" ]; then
    say "allowing trust authentication on loopback in $hba"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    as_postgres "psql -tAc 'select pg_reload_conf()'" >/dev/null
  fi
  if ! psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null 2>&1; then
    say "cannot connect as postgres to 127.0.0.1:5432 without a password; see $hba" >&2
    exit 1
  fi
fi

# The test suite creates hundreds of databases; with the default max_wal_size (1 GB) PostgreSQL
# checkpoints every 30-60 s, each fsyncing 55,000-80,000 of their files, and connections and
# commits stall for seconds during the sync. Fewer, rarer checkpoints (reloadable settings).
if [ "$(psql -h 127.0.0.1 -U postgres -tAc "select setting::bigint < 4096 from pg_settings where name = 'max_wal_size'")" = t ]; then
  say "PostgreSQL: max_wal_size 8GB, checkpoint_timeout 15min"
  psql -h 127.0.0.1 -U postgres -qtAc "ALTER SYSTEM SET max_wal_size = '8GB'" >/dev/null
  psql -h 127.0.0.1 -U postgres -qtAc "ALTER SYSTEM SET checkpoint_timeout = '15min'" >/dev/null
  psql -h 127.0.0.1 -U postgres -qtAc "select pg_reload_conf()" >/dev/null
fi

# RabbitMQ (the AMQP listener opens last in its boot, so an open 5672 means ready). It gets as
# many open files as this shell may have: the test suite keeps a few hundred queues and
# connections at once, and a broker out of file handles stops accepting connections and
# opening queue files — every test then stalls for as long as it takes queues to expire.
rabbit_files=4096
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge "$rabbit_files" ] || rabbit_files=$(ulimit -Hn)
start_rabbit() {
  say "starting RabbitMQ ($rabbit_files open files)"
  # Debian's wrapper switches to the rabbitmq user with su, whose PAM session sets the soft
  # limit back to 1024: raise it again as that user, then start the server directly.
  if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1 && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    su rabbitmq -s /bin/sh -c "ulimit -n $rabbit_files; cd /var/lib/rabbitmq && \
      /usr/lib/rabbitmq/bin/rabbitmq-server -detached" >/dev/null 2>&1 || true
  else
    (ulimit -n "$rabbit_files" && rabbitmq-server -detached >/dev/null 2>&1) || true
  fi
}
if ! port_open 5672; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  if ! port_open 5672; then # the package's own start script may have started it
    start_rabbit
  fi
  wait_for 90 RabbitMQ port_open 5672
fi
# A broker started elsewhere with fewer open files (machines start it with 1024) is restarted.
rabbit_pid=$(pgrep -f 'beam.smp.*rabbit' | head -n 1 || true)
if [ -n "$rabbit_pid" ] && [ -r "/proc/$rabbit_pid/limits" ]; then
  rabbit_soft=$(awk '/^Max open files/ {print $4}' "/proc/$rabbit_pid/limits")
  if [ "$rabbit_soft" != unlimited ] && [ "$rabbit_soft" -lt "$rabbit_files" ]; then
    say "RabbitMQ runs with $rabbit_soft open files: restarting it"
    rabbitmqctl stop >/dev/null 2>&1 || true
    wait_for 60 "RabbitMQ to stop" bash -c '! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null'
    start_rabbit
    wait_for 90 RabbitMQ port_open 5672
  fi
fi
