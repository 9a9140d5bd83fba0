# syntax=docker/dockerfile:1
# pacts: a release binary built with cached dependencies, run as a non-root user on a
# slim Debian. CI checks this file with hadolint and builds exactly the files the COPY
# lines name, in an empty directory, with the same cargo command (tests/deploy/).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY bench/latency.rs bench/ceiling.rs bench/
COPY src src
COPY migrations migrations
COPY seeds/seed.sql seeds/seed.sql
COPY seeds/releases/*.json seeds/releases/
COPY assets assets
# The registry and target directories are BuildKit caches: a rebuild after a source
# change recompiles pacts only, not its dependencies.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked && cp target/release/pacts /usr/local/bin/pacts

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/pacts --create-home pacts
COPY --from=build /usr/local/bin/pacts /usr/local/bin/pacts
USER 10001:10001
WORKDIR /var/lib/pacts
# The SQLite database lives here (unused when DATABASE_URL names PostgreSQL).
VOLUME ["/var/lib/pacts"]
ENV PACTS_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/pacts/pacts.db \
    PACTS_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["pacts", "health"]
ENTRYPOINT ["pacts"]
CMD ["serve"]
