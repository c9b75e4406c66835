#!/usr/bin/env bash
# An outside fuzzer against `cargo run`: schemathesis generates requests from docs/openapi.yaml
# and checks that no answer is a 5xx or breaks the documented schema. Bounded in examples and
# time; only 127.0.0.1; the server (and its throwaway PostgreSQL) stops on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/booking-fuzz.XXXXXX")
server_pid=""
cleanup() {
  local status=$?
  if [[ -n $server_pid ]]; then
    # Ctrl-C for the server: it stops and removes its throwaway cluster.
    kill -INT "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== schemathesis in a throwaway venv"
st=${CI_TOOLS:+$CI_TOOLS/schemathesis/bin/st}
if [[ ! -x ${st:-} ]]; then
  python3 -m venv "$work/venv"
  timeout 600 "$work/venv/bin/pip" install --quiet --disable-pip-version-check \
    -r .ci/requirements-fuzz.txt
  st="$work/venv/bin/st"
fi
"$st" --version

echo "== cargo run (the local server, with its own throwaway PostgreSQL)"
cargo build --quiet --locked --bin booking-api
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The fuzzer signs in, registers and saves conversations far more often than the limits allow.
PORT=$port RUST_LOG=warn AUTH_ATTEMPTS_PER_ADDRESS=1000000 REGISTRATIONS_PER_EMAIL=1000000 \
  LOGIN_FAILURES_PER_ACCOUNT=1000000 LOGIN_FAILURES_PER_ACCOUNT_ADDRESS=1000000 \
  CONVERSATIONS_PER_ADDRESS=1000000 \
  "$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/booking-api" \
  > "$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "$base/api/services" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done

# The seed admin's token, so protected operations are exercised past the 401.
token=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"admin@example.com","password":"password123"}' "$base/api/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')

# Every check but three whose premise does not hold here:
# - positive_data_acceptance expects every schema-valid request to succeed, but business rules
#   no schema states refuse some (a booking in the past, NUL characters inside a transcript);
# - ignored_auth sends a made-up cookie alongside the Bearer token given below, and the
#   contract lets a valid Bearer token win over a cookie (tests/api/tokens.rs checks tokens).
# - use_after_free expects a deleted resource to be gone, but DELETE /api/bookings/{id} is the
#   contract's soft cancel: the booking stays, CANCELLED.
excluded=positive_data_acceptance,ignored_auth,use_after_free
# One worker: with several, hypothesis describes its filters by parsing source in threads, which
# CPython 3.11 sometimes fails ("AST constructor recursion depth mismatch"), erroring the run.
echo "== st run"
started=$SECONDS
# Logout would revoke the token every other operation uses: fuzz it without one.
timeout 900 "$st" run docs/openapi.yaml --url "$base" \
  --checks all --exclude-checks "$excluded" \
  --max-examples 100 --seed 20261125 --workers 1 --request-timeout 10 \
  --exclude-path /api/auth/logout \
  -H "Authorization: Bearer $token" \
  --report junit --report-dir "$work/report" | tee "$work/st.log"
timeout 300 "$st" run docs/openapi.yaml --url "$base" \
  --checks all --exclude-checks "$excluded" \
  --max-examples 40 --seed 20261125 --include-path /api/auth/logout | tee -a "$work/st.log"
echo "schemathesis took $((SECONDS - started)) s"
if grep -qE '" 5[0-9][0-9] ' "$work/server.log"; then
  echo "the server logged a 5xx" >&2
  exit 1
fi
