#!/usr/bin/env bash
# The whole test suite: installs what the tests need, Python's into a virtual environment of its
# own (target/test-venv, from the pinned scripts/test-requirements.txt: moto's server for the AWS
# APIs, cfn-lint and SAM CLI for the template) and the log shippers from Debian's packages
# (scripts/install-shippers.sh), runs every Rust test in the workspace (the tests start and stop
# their servers and shippers), then lints the Lambda's deployment template.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/test-venv
if ! cmp -s scripts/test-requirements.txt "$VENV/requirements.txt" 2>/dev/null; then
  echo "== installing the test tools into $VENV (moto, cfn-lint, SAM CLI; pinned)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/test-requirements.txt
  cp scripts/test-requirements.txt "$VENV/requirements.txt"
fi
PATH="$PWD/$VENV/bin:$PATH"
export PATH
for tool in moto_server cfn-lint sam; do
  command -v "$tool" >/dev/null || { echo "$tool is not in $VENV" >&2; exit 1; }
done

# The log shippers of the recipe tests (Debian packages; needs root or sudo). Where they cannot
# be installed, those tests are skipped, and say so.
if ! bash scripts/install-shippers.sh; then
  echo "!! the shipper tests are SKIPPED: rsyslog, syslog-ng and journal tools could not be installed"
  export TOKENSCRUB_SKIP_SHIPPERS=1
fi

cargo test --workspace "$@"

echo "== cfn-lint lambda/template.yaml"
cfn-lint lambda/template.yaml
echo "cfn-lint: template clean"
echo "== sam validate --lint"
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" \
  sam validate --lint --template-file lambda/template.yaml
