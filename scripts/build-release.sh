#!/usr/bin/env bash
# Builds the release binary the way the Dockerfile does, without Docker, stages it in dist/
# and smoke-tests the staged binary:
#   cargo build --profile dist --locked -p falconer   (release, stripped, no line tables)
#   dist/falconer-<version>-<target>/{falconer, LICENSE, README.md, config.example.yaml}
#   dist/falconer-<version>-<target>.tar.gz and .sha256
# then `falconer version`, `falconer check -c config.example.yaml`, and a run on a free port
# answering the Dockerfile's HEALTHCHECK (GET /healthz), /ready and POST /test, stopped with
# SIGTERM (exit 0 expected).
#
# Build prerequisites (the Kafka output builds librdkafka): a C toolchain, make, pkg-config and
# the OpenSSL headers (Debian: build-essential pkg-config libssl-dev); installed with apt-get
# when missing and running as root. At run time the binary needs libssl3.
#
# Options: --bin PATH stages an already built binary instead of building (e.g. for CI steps
# that built it before).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=""
if [ "${1:-}" = "--bin" ]; then
  bin=${2:?--bin needs a path}
fi

if [ -z "$bin" ]; then
  missing=()
  command -v cc >/dev/null 2>&1 || missing+=(build-essential)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing build prerequisites: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      echo "missing build prerequisites: ${missing[*]} (apt-get install them)" >&2
      exit 1
    fi
  fi
  echo "== cargo build --profile dist --locked -p falconer"
  cargo build --profile dist --locked -p falconer
  bin=${CARGO_TARGET_DIR:-target}/dist/falconer
fi

version=$("$bin" version | awk '{print $2}')
triple=$(rustc -vV | sed -n 's/^host: //p')
name="falconer-$version-$triple"
stage="dist/$name"
echo "== staging $stage"
rm -rf "$stage" "dist/$name.tar.gz" "dist/$name.tar.gz.sha256"
mkdir -p "$stage"
install -m 0755 "$bin" "$stage/falconer"
if ls LICENSE* >/dev/null 2>&1; then
  cp LICENSE* "$stage/"
elif [ -f /usr/share/common-licenses/Apache-2.0 ]; then
  # The workspace is Apache-2.0 (Cargo.toml `license`); no LICENSE file in the tree yet.
  cp /usr/share/common-licenses/Apache-2.0 "$stage/LICENSE"
else
  echo "no LICENSE file and no Apache-2.0 text to stage" >&2
  exit 1
fi
cp README.md config.example.yaml "$stage/"
strip "$stage/falconer" 2>/dev/null || true
tar -C dist -czf "dist/$name.tar.gz" "$name"
(cd dist && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
ls -l "dist/$name.tar.gz"
echo "binary size: $(stat -c %s "$stage/falconer") bytes"
echo "runtime libraries:"
ldd "$stage/falconer" | sed 's/^/  /'

echo "== smoke test of the staged binary"
"$stage/falconer" version
"$stage/falconer" check -c config.example.yaml
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LISTENADDRESS=127.0.0.1 LISTENPORT=$port DATADIR="$work/data" "$stage/falconer" run >"$work/log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
get() { # get PATH: status line of a GET, as the Dockerfile's HEALTHCHECK asks it
  (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3 && head -n1 <&3) 2>/dev/null
}
for _ in $(seq 100); do get /healthz | grep -q ' 200 ' && break; sleep 0.1; done
get /healthz | grep -q ' 200 ' || { cat "$work/log"; echo "GET /healthz did not answer 200" >&2; exit 1; }
get /ready | grep -q ' 200 ' || { cat "$work/log"; echo "GET /ready did not answer 200" >&2; exit 1; }
status=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'POST /test HTTP/1.0\r\nContent-Length: 0\r\n\r\n' >&3 && head -n1 <&3) )
echo "$status" | grep -q ' 200 ' || { cat "$work/log"; echo "POST /test answered: $status" >&2; exit 1; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/log"; echo "falconer exited $rc on SIGTERM" >&2; exit 1; }
grep -q '"rule":"Test rule"' "$work/log" || { cat "$work/log"; echo "the test alert was not written to stdout" >&2; exit 1; }
echo "smoke test: healthz, ready, /test delivered to stdout, clean SIGTERM exit"
echo "build-release: dist/$name.tar.gz"
