# syntax=docker/dockerfile:1
# Falconer image: built with the locked dependencies, run as uid 1234 on Debian slim.
# scripts/build-release.sh performs the same build steps without Docker.
#
#   docker build -t falconer:0.1.0 .
#   docker run --rm -p 2801:2801 falconer:0.1.0

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
# The Kafka output builds librdkafka: a C toolchain, make, pkg-config and OpenSSL headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libssl-dev perl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --profile dist --locked -p falconer \
 && install -D -m 0755 target/dist/falconer /out/falconer

FROM debian:${DEBIAN_RELEASE}-slim
# libssl3 for librdkafka (Kafka TLS and SASL/SCRAM), CA roots for the HTTPS outputs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1234 falconer \
 && useradd --uid 1234 --gid 1234 --no-create-home --home-dir /var/lib/falconer --shell /usr/sbin/nologin falconer \
 && install -d -o 1234 -g 1234 -m 0750 /var/lib/falconer \
 && install -d -m 0755 /etc/falconer
COPY --from=build /out/falconer /usr/local/bin/falconer
# Dead letters and spools go to ./falconer-data by default; give /var/lib/falconer a volume
# (the Helm chart sets datadir there and mounts an emptyDir or a PersistentVolumeClaim).
WORKDIR /var/lib/falconer
USER 1234:1234
EXPOSE 2801
# falconer has no health subcommand: bash asks GET /healthz on the plain-HTTP listener.
# (With tlsserver on and /healthz not in notlspaths, set --no-healthcheck or your own.)
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${LISTENPORT:-2801} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/falconer"]
CMD ["run"]
