# syntax=docker/dockerfile:1
# tokenscrub in a container: the filter (stdin to stdout) and `scan`, as a non-root user.
#
#   docker build -t tokenscrub .
#   app 2>&1 | docker run -i --rm tokenscrub | vector --config vector.toml
#   docker run --rm -v /var/log/app:/logs:ro tokenscrub scan /logs
#
# The lean filter, without the AWS SDK (no `scan --log-group`, no `scan --verify`):
#   docker build --build-arg CARGO_FEATURES=--no-default-features -t tokenscrub:lean .

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
ARG CARGO_FEATURES=""
RUN cargo build --locked --profile dist -p tokenscrub-cli $CARGO_FEATURES

# With a shell, tail and cp, for pipelines inside a pod (docs/shippers/kubernetes.md):
#   docker build --target shell -t tokenscrub:shell .
FROM debian:bookworm-slim AS shell
COPY --from=build /src/target/dist/tokenscrub /usr/local/bin/tokenscrub
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tokenscrub"]

# The default image: glibc and libgcc, nothing else: no shell, no package manager; uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/dist/tokenscrub /usr/local/bin/tokenscrub
USER nonroot
ENTRYPOINT ["/usr/local/bin/tokenscrub"]
