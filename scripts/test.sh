#!/usr/bin/env bash
# The whole test suite: installs what the tests need (moto's server, for the CloudWatch Logs
# API), then runs every Rust test in the workspace. The tests start and stop their servers.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v moto_server >/dev/null 2>&1; then
  echo "== installing moto[server] (a local CloudWatch Logs API for the tests)"
  python3 -m pip install --quiet --disable-pip-version-check "moto[server]"
fi
command -v moto_server >/dev/null || { echo "moto_server is still not on PATH" >&2; exit 1; }

cargo test --workspace "$@"
