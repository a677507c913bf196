#!/usr/bin/env bash
# Runs Falconer's whole test suite, after installing and starting what the tests need:
#   - the services the integration tests talk to on loopback, started when down and installed
#     from Debian when missing (scripts/services.sh): NATS, Redis, PostgreSQL, RabbitMQ,
#     Mosquitto;
#   - promtool (Debian package `prometheus`), which checks the live /metrics output;
#   - influxd (Debian package `influxdb`), the InfluxDB the influxdb output is tested against
#     (each test starts its own on a free port);
#   - prometheus-alertmanager (Debian package), the Alertmanager the alertmanager output is
#     tested against (each test starts its own on free ports);
#   - chromium and chromium-driver (Debian packages), the headless browser the web UI's
#     browser test drives;
#   - aiosmtpd (PyPI), the SMTP server the smtp output is tested against;
#   - moto[server] (PyPI), the AWS API emulator the AWS outputs are tested against;
#   - pyarrow (PyPI), which reads back the Parquet objects of the AWS Security Lake output.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -p falconer-core`).
set -euo pipefail
cd "$(dirname "$0")/.."

install_debian_packages() {
  if [ "$(id -u)" != 0 ]; then
    echo "missing $*: install them (sudo apt-get install $*) or run this script as root" >&2
    exit 1
  fi
  # Install without starting the packaged services: the tests start what they need.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  if [ "$created" = 1 ]; then rm -f "$policy"; fi
}

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
[ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  install_debian_packages "${missing[@]}"
fi

# aiosmtpd: the real SMTP server the smtp output is tested against.
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
fi

# moto (the AWS API emulator) for the AWS outputs' tests; each test file starts its own
# moto_server on a free loopback port.
if ! python3 -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
fi

# pyarrow: an independent Parquet reader for the AWS Security Lake output's objects.
if ! python3 -c 'import pyarrow.parquet' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'pyarrow>=14'
fi

scripts/services.sh

cargo test --workspace --locked "$@"
