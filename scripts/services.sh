#!/usr/bin/env bash
# Starts the services the integration tests talk to on loopback, installing them from Debian's
# packages when missing (as root): NATS with JetStream (4222), Redis (6379), PostgreSQL
# (5432, trust auth on loopback, database `test`), RabbitMQ (5672, guest/guest) and Mosquitto
# (1883). A service already answering on its port is left alone. Called by scripts/test.sh.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() {
  for _ in $(seq 300); do up "$1" && return 0; sleep 0.2; done
  echo "$2 did not come up on 127.0.0.1:$1" >&2
  return 1
}

apt_updated=0
install() {
  if [ "$(id -u)" != 0 ]; then
    echo "$* missing: install them (sudo apt-get install $*) or run this script as root" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  # Installed without starting the packaged units: this script starts them itself.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  if [ "$created" = 1 ]; then rm -f "$policy"; fi
}

if ! up 4222; then
  echo "NATS is down on 127.0.0.1:4222; starting it"
  [ -x /usr/sbin/nats-server ] || [ -x /usr/bin/nats-server ] || install nats-server
  nats=$(command -v nats-server || echo /usr/sbin/nats-server)
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$nats" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_up 4222 NATS
fi

if ! up 6379; then
  echo "Redis is down on 127.0.0.1:6379; starting it"
  command -v redis-server >/dev/null 2>&1 || install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_up 6379 Redis
fi

if ! up 5432; then
  echo "PostgreSQL is down on 127.0.0.1:5432; starting it"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # The tests connect as postgres without a password, over loopback.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_up 5432 PostgreSQL
fi
if command -v psql >/dev/null 2>&1 &&
  ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE test' >/dev/null
fi

if ! up 5672; then
  echo "RabbitMQ is down on 127.0.0.1:5672; starting it"
  command -v rabbitmq-server >/dev/null 2>&1 || install rabbitmq-server
  rabbitmq-server -detached
  wait_up 5672 RabbitMQ
fi

if ! up 1883; then
  echo "Mosquitto is down on 127.0.0.1:1883; starting it"
  command -v mosquitto >/dev/null 2>&1 || install mosquitto
  if [ -f /etc/mosquitto/mosquitto.conf ]; then
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
  else
    mosquitto -d -p 1883
  fi
  wait_up 1883 Mosquitto
fi
