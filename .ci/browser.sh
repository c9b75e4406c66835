#!/usr/bin/env bash
# A real browser across origins (tests/browser): headless Chromium loads the front end's page from
# http://app.example.com:APP_PORT and calls the API on http://api.example.com:<port>, both names
# mapped to this machine inside Chromium only.
#
#   API_URL unset: builds and starts `cargo run` (with its throwaway PostgreSQL) on a free port,
#                  configured for this scenario, and stops it on exit.
#   API_URL set:   only runs the browser against it (e.g. `sam local start-api`); that API must
#                  allow the origin http://app.example.com:APP_PORT (APP_PORT defaults to 8080),
#                  send a cookie that is not Secure (plain http), and answer Host api.example.com.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/booking-browser.XXXXXX")
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

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "== chromium and playwright-core"
if [[ ! -x /usr/bin/chromium ]]; then
  # Debian's browser: no browser download is possible, and playwright-core fetches none.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null
command -v npm >/dev/null || { echo "Node.js 20 or newer and npm are needed" >&2; exit 1; }
(cd tests/browser && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
echo "browser and packages ready after $((SECONDS - started)) s"

if [[ -z ${API_URL:-} ]]; then
  echo "== cargo run (the local server, with its own throwaway PostgreSQL)"
  cargo build --quiet --locked --bin booking-api
  port=$(free_port)
  APP_PORT=${APP_PORT:-$(free_port)}
  # Plain http, so no Secure cookie; the front end's origin only; the API's name, which the
  # server answers besides localhost. A low lockout limit (the test reads it too) keeps the
  # 429 step short.
  export LOGIN_FAILURES_PER_ACCOUNT=3
  PORT=$port RUST_LOG=warn COOKIE_SECURE=false \
    ALLOWED_ORIGINS="http://app.example.com:$APP_PORT" ALLOWED_HOSTS=api.example.com \
    "$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/booking-api" \
    > "$work/server.log" 2>&1 &
  server_pid=$!
  API_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$API_URL/api/services" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf -o /dev/null "$API_URL/api/services" ||
    { echo "the server did not answer" >&2; cat "$work/server.log" >&2; exit 1; }
  echo "server built and answering after $((SECONDS - started)) s"
fi

echo "== browser test against $API_URL"
browser_started=$SECONDS
status=0
API_URL=$API_URL APP_PORT=${APP_PORT:-8080} timeout 300 node tests/browser/cross_origin.mjs || status=$?
echo "browser test took $((SECONDS - browser_started)) s; the whole stage $((SECONDS - started)) s"
if [[ $status -ne 0 && -s $work/server.log ]]; then
  echo "-- server log" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
