#!/usr/bin/env bash
# The Lambda's deployment artifact: target/lambda/bootstrap/bootstrap (stripped), where
# lambda/template.yaml's CodeUri looks. Builds for this machine's architecture (x86_64 here);
# for arm64 (Graviton) see the README (cargo-lambda or cargo-zigbuild cross-compile).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --profile dist -p tokenscrub-lambda
mkdir -p target/lambda/bootstrap
cp target/dist/bootstrap target/lambda/bootstrap/bootstrap
ls -l target/lambda/bootstrap/bootstrap
