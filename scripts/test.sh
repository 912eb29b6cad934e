#!/usr/bin/env bash
# The whole test suite: installs what the tests need (moto's server, for the CloudWatch Logs
# API; cfn-lint), runs every Rust test in the workspace (the tests start and stop their
# servers), then lints the Lambda's deployment template.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where pip puts console scripts (pyenv shims may not know a fresh install yet).
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH

if ! command -v moto_server >/dev/null 2>&1; then
  echo "== installing moto[server] (a local CloudWatch Logs API for the tests)"
  python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "moto[server]"
fi
command -v moto_server >/dev/null || { echo "moto_server is still not on PATH" >&2; exit 1; }
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "== installing cfn-lint (checks the Lambda's deployment template)"
  python3 -m pip install --quiet --disable-pip-version-check --break-system-packages cfn-lint
fi

cargo test --workspace "$@"

echo "== cfn-lint lambda/template.yaml"
cfn-lint lambda/template.yaml
echo "cfn-lint: template clean"
