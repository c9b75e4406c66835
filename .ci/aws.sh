#!/usr/bin/env bash
# AWS packaging checks, run by .ci/run after the tests on a fresh clone:
#   1. template.yaml passes `sam validate --lint` and cfn-lint;
#   2. `sam build` yields a bootstrap for every function (sizes printed);
#   3. each bootstrap answers one sample event from events/ behind the Lambda runtime API of
#      `cargo lambda watch`, against a throwaway PostgreSQL migrated by the migrate bootstrap.
# Nothing leaves 127.0.0.1; every step is time-bounded; everything started here is stopped and
# every temporary file removed on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/booking-aws.XXXXXX")
bg_pids=()
devdb_pid=""
postmaster_pid=""

cleanup() {
  local status=$?
  for pid in "${bg_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  if [[ -n $devdb_pid ]]; then
    # devdb removes its cluster on SIGINT (its Ctrl-C); give it time, then stop the server.
    kill -INT "$devdb_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$devdb_pid" 2>/dev/null || break
      sleep 0.5
    done
    if [[ -n $postmaster_pid ]] && kill -0 "$postmaster_pid" 2>/dev/null; then
      kill -INT "$postmaster_pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'aws.sh: %s\n' "$*" >&2
  exit 1
}

# No AWS account is used: keep the SDKs away from the instance metadata endpoint, and keep
# local calls away from any proxy.
export AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export SAM_CLI_TELEMETRY=0
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

step "tools: cargo-lambda, aws-sam-cli and cfn-lint in a throwaway venv"
python3 -m venv "$work/venv"
timeout 900 "$work/venv/bin/pip" install --quiet --disable-pip-version-check \
  cargo-lambda==1.9.2 aws-sam-cli==1.170.0 cfn-lint==1.58.0
export PATH="$work/venv/bin:$PATH"
python="$work/venv/bin/python"
sam --version
cargo lambda --version
cfn-lint --version

step "sam validate --lint"
timeout 300 sam validate --lint

step "cfn-lint template.yaml"
timeout 300 cfn-lint template.yaml

# Logical id and binary of every function in the template.
"$python" - > "$work/functions.txt" <<'EOF'
from samcli.yamlhelper import yaml_parse
template = yaml_parse(open("template.yaml").read())
for logical_id, resource in template["Resources"].items():
    if resource["Type"] == "AWS::Serverless::Function":
        print(logical_id, resource["Metadata"]["BuildProperties"]["Binary"])
EOF

step "sam build"
build_start=$SECONDS
timeout 3600 sam build
build_seconds=$((SECONDS - build_start))
echo "sam build took ${build_seconds} s"

step "bootstraps"
printf '%-24s %-14s %10s\n' FUNCTION BINARY BYTES
while read -r id binary; do
  bootstrap=".aws-sam/build/$id/bootstrap"
  [[ -x $bootstrap ]] || fail "$id: no executable $bootstrap"
  printf '%-24s %-14s %10s\n' "$id" "$binary" "$(stat -c %s "$bootstrap")"
done < "$work/functions.txt"

step "smoke: a throwaway PostgreSQL"
timeout 900 cargo build --quiet -p devdb
target_dir=$(cargo metadata --format-version 1 --no-deps | "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$target_dir/debug/devdb" > "$work/devdb.out" 2> "$work/devdb.err" &
devdb_pid=$!
for _ in $(seq 1 240); do
  grep -q '^POSTMASTER_PID=' "$work/devdb.out" && break
  kill -0 "$devdb_pid" 2>/dev/null || { cat "$work/devdb.err" >&2; fail "devdb exited"; }
  sleep 0.5
done
database_url=$(sed -n 's/^DATABASE_URL=//p' "$work/devdb.out")
postmaster_pid=$(sed -n 's/^POSTMASTER_PID=//p' "$work/devdb.out")
[[ -n $database_url ]] || fail "devdb did not print DATABASE_URL"
echo "PostgreSQL up (postmaster $postmaster_pid)"

step "smoke: cargo lambda watch as the Lambda runtime API"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port" \
  > "$work/watch.log" 2>&1 &
bg_pids+=($!)
watch_pid=$!
for _ in $(seq 1 120); do
  (exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$watch_pid" 2>/dev/null || { cat "$work/watch.log" >&2; fail "cargo lambda watch exited"; }
  sleep 0.5
done
(exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "cargo lambda watch is not listening on $port"
echo "runtime API on 127.0.0.1:$port"

# The one event each function answers in the smoke; migrate goes first, then the seed.
declare -A smoke_event=(
  [migrate]=migrate/apply.ok.json
  [authorizer]=authorizer/cookie.authenticated.json
  [auth-register]=auth-register/ok.201.json
  [auth-login]=auth-login/ok.200.json
  [auth-logout]=auth-logout/with-cookie.200.json
  [auth-me]=auth-me/ok.200.json
  [auth-password]=auth-password/ok.200.json
  [bookings]=bookings/list.200.json
  [booking]=booking/get.200.json
  [services]=services/list.200.json
  [user]=user/self.200.json
  [conversations]=conversations/list.200.json
)

# Boots the bootstrap of function $1 (logical id $2) against the runtime API, invokes it with
# event $3 and leaves the answer in $work/$1.out. The invocation is queued first: the function
# takes it on its first poll, like a cold start in Lambda.
invoke() {
  local binary=$1 id=$2 event=$3
  timeout 60 cargo lambda invoke "$binary" --invoke-address 127.0.0.1 --invoke-port "$port" \
    --data-file "events/$event" --output-format json > "$work/$binary.out" 2> "$work/$binary.err" &
  local invoke_pid=$!
  sleep 0.3
  env -i \
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt/$binary" \
    AWS_LAMBDA_FUNCTION_NAME="$binary" \
    AWS_LAMBDA_FUNCTION_VERSION='$LATEST' \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
    AWS_REGION=us-east-1 \
    DATABASE_URL="$database_url" \
    $(grep -E '^[A-Z_]+=' events/dev.env) \
    ".aws-sam/build/$id/bootstrap" > "$work/$binary.log" 2>&1 &
  local bootstrap_pid=$!
  local status=0
  wait "$invoke_pid" || status=$?
  kill "$bootstrap_pid" 2>/dev/null || true
  wait "$bootstrap_pid" 2>/dev/null || true
  if [[ $status -ne 0 ]]; then
    echo "--- invoke $binary" >&2
    cat "$work/$binary.err" "$work/$binary.out" >&2
    echo "--- $binary's log" >&2
    tail -n 40 "$work/$binary.log" >&2
    fail "$binary: cargo lambda invoke failed ($status)"
  fi
}

# Checks the answer of function $1 to event $2 against the expectation in the event's name.
check() {
  "$python" - "$1" "$2" "$work/$1.out" <<'EOF'
import json, sys
binary, event, out = sys.argv[1:]
answer = json.load(open(out))
expect = event.rsplit("/", 1)[1].rsplit(".", 2)[1]
if binary == "migrate":
    ok = isinstance(answer.get("known"), list) and answer["known"]
    got = "applied %s" % answer.get("applied")
elif binary == "authorizer":
    got = "authenticated" if answer["context"].get("authenticated") else "anonymous"
    ok = answer.get("isAuthorized") is True and got == expect
else:
    body = json.loads(answer["body"])
    got = str(answer["statusCode"])
    ok = got == expect and body.get("success") is (answer["statusCode"] < 400)
print("%-14s %-40s %s" % (binary, event, got))
sys.exit(0 if ok else 1)
EOF
}

declare -A logical_id=()
while read -r id binary; do
  logical_id[$binary]=$id
  [[ -n ${smoke_event[$binary]:-} ]] || fail "$binary: add its smoke event to .ci/aws.sh"
done < "$work/functions.txt"

step "smoke: one event per bootstrap"
failed=0
invoke migrate "${logical_id[migrate]}" "${smoke_event[migrate]}"
check migrate "${smoke_event[migrate]}" || failed=1
PGCONNECT_TIMEOUT=10 timeout 60 psql "$database_url" -v ON_ERROR_STOP=1 -q -f src/seed.sql
for binary in $(printf '%s\n' "${!logical_id[@]}" | sort); do
  [[ $binary == migrate ]] && continue
  invoke "$binary" "${logical_id[$binary]}" "${smoke_event[$binary]}"
  check "$binary" "${smoke_event[$binary]}" || failed=1
done
[[ $failed -eq 0 ]] || fail "some bootstraps answered unexpectedly (see above)"
echo
echo "aws: sam build ${build_seconds} s; ${#logical_id[@]} bootstraps built and answered"
