# pacts: build a release binary, run it on a slim Debian image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY seeds seeds
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/pacts --create-home pacts
COPY --from=build /src/target/release/pacts /usr/local/bin/pacts
USER pacts
WORKDIR /var/lib/pacts
ENV PACTS_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/pacts/pacts.db \
    PACTS_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["pacts"]
CMD ["serve"]
