# syntax=docker/dockerfile:1.7
# Images of the five Kuaidi processes, one target each:
#   docker build --target gateway    -t kuaidi/gateway:dev .
#   docker build --target customers  -t kuaidi/customers:dev .   (shipments, complaints, analytics)
#
# The `build` stage compiles the five release binaries once. BuildKit cache mounts keep cargo's
# registry and the target directory between builds, so a change to the code recompiles only the
# workspace crates: the compiled dependencies are the cached layer. Each runtime target is
# debian:bookworm-slim with CA certificates and libpq (diesel links it), the binary, its
# defaults file for reference (the binary embeds the same file) and a non-root user.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked \
      -p kuaidi-gateway -p kuaidi-customers -p kuaidi-shipments -p kuaidi-complaints -p kuaidi-analytics \
 && mkdir -p /out \
 && for name in gateway customers shipments complaints analytics; do \
      cp "target/release/kuaidi-${name}" /out/; \
    done

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 kuaidi \
 && useradd --system --uid 10001 --gid kuaidi --no-create-home --shell /usr/sbin/nologin kuaidi
ENV RUST_LOG=info
USER 10001:10001
WORKDIR /

FROM runtime AS gateway
COPY --from=build /out/kuaidi-gateway /usr/local/bin/kuaidi-gateway
COPY gateway/config/default.toml /etc/kuaidi/gateway.toml
ENV KUAIDI_GATEWAY__HTTP__HOST=0.0.0.0
EXPOSE 8080 9080
ENTRYPOINT ["/usr/local/bin/kuaidi-gateway"]

FROM runtime AS customers
COPY --from=build /out/kuaidi-customers /usr/local/bin/kuaidi-customers
COPY services/customers/config/default.toml /etc/kuaidi/customers.toml
ENV KUAIDI_CUSTOMERS__HTTP__HOST=0.0.0.0
EXPOSE 8081 9081
ENTRYPOINT ["/usr/local/bin/kuaidi-customers"]

FROM runtime AS shipments
COPY --from=build /out/kuaidi-shipments /usr/local/bin/kuaidi-shipments
COPY services/shipments/config/default.toml /etc/kuaidi/shipments.toml
ENV KUAIDI_SHIPMENTS__HTTP__HOST=0.0.0.0
EXPOSE 8082 9082
ENTRYPOINT ["/usr/local/bin/kuaidi-shipments"]

FROM runtime AS complaints
COPY --from=build /out/kuaidi-complaints /usr/local/bin/kuaidi-complaints
COPY services/complaints/config/default.toml /etc/kuaidi/complaints.toml
ENV KUAIDI_COMPLAINTS__HTTP__HOST=0.0.0.0
EXPOSE 8083 9083
ENTRYPOINT ["/usr/local/bin/kuaidi-complaints"]

FROM runtime AS analytics
COPY --from=build /out/kuaidi-analytics /usr/local/bin/kuaidi-analytics
COPY services/analytics/config/default.toml /etc/kuaidi/analytics.toml
ENV KUAIDI_ANALYTICS__HTTP__HOST=0.0.0.0
EXPOSE 8084 9084
ENTRYPOINT ["/usr/local/bin/kuaidi-analytics"]
