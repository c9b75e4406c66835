#!/usr/bin/env bash
# Installs the tools of CI's later stages into $1 while the Rust stages compile: the downloads
# and unpacking wait on the network and the disk, the compiler on the CPU. Each stage script
# uses what it finds here (CI_TOOLS) and installs for itself when run alone.
#   $1/aws          venv: cargo-lambda, aws-sam-cli, cfn-lint (.ci/aws.sh)
#   $1/schemathesis venv: schemathesis (.ci/schemathesis.sh)
#   Debian's chromium and docker.io; tests/browser's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$1

python3 -m venv "$tools/aws"
timeout 900 "$tools/aws/bin/pip" install --quiet --disable-pip-version-check \
  -r .ci/requirements-aws.txt
python3 -m venv "$tools/schemathesis"
timeout 600 "$tools/schemathesis/bin/pip" install --quiet --disable-pip-version-check \
  -r .ci/requirements-fuzz.txt

packages=()
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
command -v dockerd >/dev/null || packages+=(docker.io)
if ((${#packages[@]})); then
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if command -v npm >/dev/null; then
  (cd tests/browser && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
fi
echo "tools ready"
