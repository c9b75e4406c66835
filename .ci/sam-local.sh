#!/usr/bin/env bash
# The built bootstraps in the Lambda image, behind `sam local start-api` and its Lambda
# authorizer, against a throwaway PostgreSQL the containers reach as host.docker.internal.
# Run by .ci/aws.sh after `sam build`; needs sam, Docker, the image of .ci/lambda-image.sh (or
# the real one), psql, and devdb. Every function runs at least once: migrate through
# `sam local invoke`, all others through HTTP requests. Prints each step with its status.
#
# The database: devdb listens on 127.0.0.1 only, which a container cannot reach (its 127.0.0.1
# is its own). socat forwards the Docker bridge's gateway address, accepting the bridge's subnet
# only, to it; the containers get host.docker.internal -> host-gateway, exactly as a Linux user
# runs it (docs/deploy.md, "sam local").
#
# Usage: .ci/sam-local.sh   (from anywhere; uses .aws-sam/build of the checkout)
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/booking-sam-local.XXXXXX")
devdb_pid=""
postmaster_pid=""
socat_pid=""
sam_pid=""
containers_before=""

cleanup() {
  local status=$?
  if [[ -n $sam_pid ]]; then
    # SIGTERM: a background job of a script ignores SIGINT, and Python then never sees it. The
    # containers SAM leaves are removed below.
    kill -TERM "$sam_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$sam_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$sam_pid" 2>/dev/null || true
  fi
  # Containers this run left behind, and only those.
  if [[ -n $containers_before ]]; then
    for id in $(docker ps -aq --no-trunc 2>/dev/null); do
      grep -qx "$id" "$containers_before" || docker rm -f "$id" >/dev/null 2>&1 || true
    done
  fi
  [[ -n $socat_pid ]] && kill "$socat_pid" 2>/dev/null || true
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

step() { printf '\n== sam local: %s\n' "$*"; }
fail() {
  printf 'sam-local.sh: %s\n' "$*" >&2
  exit 1
}

export SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
[[ -d .aws-sam/build ]] || fail "run sam build first"
timeout 20 docker info >/dev/null 2>&1 || fail "Docker is not running (.ci/docker.sh starts it)"
command -v socat >/dev/null || {
  { timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq socat >/dev/null; } ||
    fail "cannot install socat"
}
# The functions the smoke below runs; a function added to the template must be added here (and
# to the smoke) or this fails.
covered="AuthorizerFunction AuthRegisterFunction AuthLoginFunction AuthLogoutFunction AuthMeFunction
AuthPasswordFunction BookingsFunction BookingFunction ServicesFunction UserFunction ConversationsFunction
ProjectsFunction ProjectFunction ProjectAvailabilityFunction ProjectBookingsFunction ProjectKeysFunction
ProjectKeyFunction NotFoundFunction MigrateFunction"
python3 - "$covered" <<'EOF' || fail "functions in template.yaml that the smoke does not run (add them)"
import re, sys
covered = set(sys.argv[1].split())
# The logical ids of the template's functions: two-space-indented keys whose Type follows.
text = open("template.yaml").read()
functions = set(re.findall(r"^  (\w+):\n    Type: AWS::Serverless::Function$", text, re.M))
missing = sorted(functions - covered)
if missing or not functions:
    print("not covered: %s" % missing, file=sys.stderr)
    sys.exit(1)
EOF

docker ps -aq --no-trunc > "$work/containers.before"
containers_before=$work/containers.before

# The one front-end origin allowed in this run (CORS and the functions' Origin check): the
# browser test's front end (.ci/browser.sh serves its page there).
origin=http://app.example.com:8080

step "a throwaway PostgreSQL, reachable from the containers"
timeout 900 cargo build --quiet -p devdb
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$target_dir/debug/devdb" > "$work/devdb.out" 2> "$work/devdb.err" &
devdb_pid=$!
for _ in $(seq 1 240); do
  grep -q '^POSTMASTER_PID=' "$work/devdb.out" && break
  kill -0 "$devdb_pid" 2>/dev/null || { cat "$work/devdb.err" >&2; fail "devdb exited"; }
  sleep 0.5
done
database_url=$(sed -n 's/^DATABASE_URL=//p' "$work/devdb.out")
postmaster_pid=$(sed -n 's/^POSTMASTER_PID=//p' "$work/devdb.out")
[[ $database_url =~ ^postgres://([^@]+)@127\.0\.0\.1:([0-9]+)/([^?]+) ]] ||
  fail "devdb printed an unexpected DATABASE_URL: $database_url"
db_user=${BASH_REMATCH[1]} db_port=${BASH_REMATCH[2]} db_name=${BASH_REMATCH[3]}

# The default bridge's gateway is the host's address on its interface (the IPAM config of the
# default bridge often names no Gateway); host-gateway resolves to the same address.
subnet=$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Subnet}}')
bridge_if=$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}')
gateway=$(ip -4 -o addr show "${bridge_if:-docker0}" 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
[[ -n $gateway && -n $subnet ]] || fail "no gateway on Docker's bridge network"
socat "TCP-LISTEN:$db_port,bind=$gateway,reuseaddr,fork,range=$subnet" "TCP:127.0.0.1:$db_port" \
  2> "$work/socat.err" &
socat_pid=$!
sleep 0.5
kill -0 "$socat_pid" 2>/dev/null || { cat "$work/socat.err" >&2; fail "socat exited"; }
echo "PostgreSQL on 127.0.0.1:$db_port (postmaster $postmaster_pid), forwarded from $gateway:$db_port for $subnet"

# Only variables the template declares can be set. With SecretsExtensionLayerArn=none (sam local
# can fetch no layer) the template declares JWT_SECRET as a deploy-time secret reference that
# sam local does not resolve, so it comes from here (the development secret of events/). The API
# connects as booking_app, the role the migrations create; only migrate signs in as the owner.
jwt_secret=$(sed -n 's/^JWT_SECRET=//p' events/dev.env)
python3 - "$work/env.json" <<EOF
import json, sys
json.dump({"Parameters": {
    "JWT_SECRET": "$jwt_secret",
    "DB_HOST": "host.docker.internal", "DB_PORT": "$db_port", "DB_NAME": "$db_name",
    "DB_USER": "booking_app", "DB_AUTH": "password", "DB_SSLMODE": "disable",
    "COOKIE_SECURE": "false", "ALLOWED_ORIGINS": "$origin",
}, "MigrateFunction": {"DB_USER": "$db_user"}}, open(sys.argv[1], "w"), indent=2)
EOF
sam_args=(
  --env-vars "$work/env.json"
  --add-host host.docker.internal:host-gateway
  --skip-pull-image
  --parameter-overrides "AllowedOrigins=$origin JwtSecretId=unused DbHost=unused DbEndpointType=proxy SecretsExtensionLayerArn=none"
)

step "sam local invoke MigrateFunction"
timeout 300 sam local invoke MigrateFunction -e events/migrate/apply.ok.json "${sam_args[@]}" \
  > "$work/migrate.out" 2> "$work/migrate.err" || { cat "$work/migrate.err" >&2; fail "migrate failed"; }
python3 - "$work/migrate.out" <<'EOF' || { cat "$work/migrate.err" >&2; fail "migrate answered unexpectedly"; }
import json, sys
answer = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert answer.get("known") and answer.get("applied") == answer.get("known"), answer
print("migrate: applied %s" % answer["applied"])
EOF
PGCONNECT_TIMEOUT=10 timeout 60 psql "$database_url" -v ON_ERROR_STOP=1 -q -f src/seed.sql
echo "seeded from src/seed.sql"

step "sam local start-api"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
api=http://127.0.0.1:$port
# LAZY warm containers: each function's container starts on its first request and serves the
# rest, as a warm Lambda instance does; the first request of each is its cold start.
sam local start-api --host 127.0.0.1 --port "$port" --warm-containers LAZY "${sam_args[@]}" \
  > "$work/sam.log" 2>&1 &
sam_pid=$!
for _ in $(seq 1 240); do
  curl -s -o /dev/null --max-time 2 "$api/" && break
  kill -0 "$sam_pid" 2>/dev/null || { tail -n 40 "$work/sam.log" >&2; fail "sam local start-api exited"; }
  sleep 0.5
done
curl -s -o /dev/null --max-time 2 "$api/" || { tail -n 40 "$work/sam.log" >&2; fail "sam local start-api is not listening"; }
echo "listening on $api"

failed=0
n=0
# request NAME EXPECTED-STATUS METHOD PATH [curl options...]: prints the step and its status
# (EXPECTED-STATUS may list alternatives, 200|204);
# the body is left in $work/body.json and the headers in $work/headers.txt.
request() {
  local name=$1 expected=$2 method=$3 path=$4
  shift 4
  local status
  n=$((n + 1))
  status=$(curl -s --max-time 60 -o "$work/body.json" -D "$work/headers.txt" -w '%{http_code}' \
    -X "$method" "$@" "$api$path") || status=000
  local mark=ok
  [[ $status =~ ^($expected)$ ]] || { mark="FAIL (expected $expected)"; failed=1; }
  printf '%2d. %-44s %-7s %-44s %s %s\n' "$n" "$name" "$method" "$path" "$status" "$mark"
  [[ $mark == ok ]] || { head -c 600 "$work/body.json"; echo; tail -n 20 "$work/sam.log"; } >&2
}
# expect PYTHON-EXPRESSION: checks the last body (`body`) and headers (`headers`, lowercase keys).
expect() {
  python3 - "$work/body.json" "$work/headers.txt" "$1" <<'EOF' || failed=1
import json, sys
body_file, headers_file, check = sys.argv[1:]
text = open(body_file).read()
body = json.loads(text) if text.strip() else None
headers = {}
for line in open(headers_file).read().splitlines()[1:]:
    if ":" in line:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
if not eval(check):
    print("    check failed: %s\n    body: %s\n    headers: %s" % (check, text[:400], headers), file=sys.stderr)
    sys.exit(1)
EOF
}
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/body.json" "$1"; }

step "smoke through API Gateway's local emulation (cold starts included)"
jar=$work/jar.txt
email="sam-local-$(date +%s)@example.com"
ct=(-H 'content-type: application/json')
from_front_end=(-H "origin: $origin")

request "services: public list" 200 GET /api/services
expect 'body["success"] and len(body["data"]) >= 1'
request "register a new account" 201 POST /api/auth/register "${ct[@]}" "${from_front_end[@]}" \
  -d "{\"email\":\"$email\",\"password\":\"password123\",\"name\":\"Sam Local\"}"
expect 'body["data"]["user"]["email"] if "user" in body["data"] else body["data"]["email"]'
new_token=$(json_field 'd["data"]["token"]')
request "password change (authorizer + auth-password)" 200 PUT /api/auth/password "${ct[@]}" \
  "${from_front_end[@]}" -H "authorization: Bearer $new_token" \
  -d '{"currentPassword":"password123","newPassword":"password456"}'
request "login (seed user): cookie set" 200 POST /api/auth/login "${ct[@]}" "${from_front_end[@]}" -c "$jar" \
  -d '{"email":"user@example.com","password":"password123"}'
expect '"HttpOnly" in headers.get("set-cookie", "") and headers["set-cookie"].startswith("token=")'
token=$(json_field 'd["data"]["token"]')
user_id=$(json_field 'd["data"]["user"]["id"]')
request "me with the cookie (authorizer + auth-me)" 200 GET /api/auth/me -b "$jar"
expect 'body["data"]["email"] == "user@example.com"'
service_id=$(curl -s --max-time 30 "$api/api/services" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
request "create a booking" 201 POST /api/bookings -b "$jar" "${ct[@]}" "${from_front_end[@]}" \
  -d "{\"serviceId\":\"$service_id\",\"scheduledAt\":\"2031-03-04T10:00:00.000Z\",\"duration\":30}"
booking_id=$(json_field 'd["data"]["id"]')
request "list bookings: the new one among them" 200 GET /api/bookings -b "$jar"
expect "\"$booking_id\" in [b[\"id\"] for b in body[\"data\"]]"
request "the booking by id" 200 GET "/api/bookings/$booking_id" -b "$jar"
request "protected route, no cookie: 401 envelope" 401 GET /api/bookings
expect 'body == {"success": False, "error": "Authentication required"}'
request "Bearer token: me" 200 GET /api/auth/me -H "authorization: Bearer $token"
request "Bearer token: own profile" 200 GET "/api/users/$user_id" -H "authorization: Bearer $token"
request "conversation, anonymous" 201 POST /api/conversations "${ct[@]}" \
  -d '{"transcript":{"turns":[{"role":"agent","text":"Hello"}]},"summary":"sam local smoke"}'
request "conversations, Bearer" 200 GET /api/conversations -H "authorization: Bearer $token"
# Voice agents: the seed's project (the user's, Mon-Fri 09:00-17:00 Europe/Berlin) and its agent
# key. Monday 5 January 2099, 09:00-17:00 in Berlin, is 08:00Z-16:00Z: eight 60-minute slots.
project=00000000-0000-4000-8000-000000000401
project_service=00000000-0000-4000-8000-000000000411
agent_key=vak_5eed000000000000000000000000000000000000000000000000000000000001
agent=(-H "authorization: Bearer $agent_key")
window="serviceId=$project_service&from=2099-01-05T00:00:00.000Z&to=2099-01-06T00:00:00.000Z"
request "projects: the seed's among the user's" 200 GET /api/projects -b "$jar"
expect "\"$project\" in [p[\"id\"] for p in body[\"data\"]]"
request "project by id" 200 GET "/api/projects/$project" -b "$jar"
expect 'body["data"]["timeZone"] == "Europe/Berlin" and len(body["data"]["services"]) >= 1'
request "availability, public (no authorizer)" 200 GET "/api/projects/$project/availability?$window"
expect 'len(body["data"]["slots"]) == 8 and body["data"]["slots"][0] == "2099-01-05T08:00:00.000Z"'
request "availability with the agent key" 200 GET "/api/projects/$project/availability?$window" "${agent[@]}"
request "agent books a caller (authorizer: agent key)" 201 POST "/api/projects/$project/bookings" \
  "${agent[@]}" "${ct[@]}" \
  -d "{\"serviceId\":\"$project_service\",\"scheduledAt\":\"2099-01-05T09:00:00.000Z\",\"customerName\":\"Jonas Weber\"}"
expect 'body["data"]["userId"] is None and body["data"]["customerName"] == "Jonas Weber"'
request "the booked slot is gone" 200 GET "/api/projects/$project/availability?$window"
expect '"2099-01-05T09:00:00.000Z" not in body["data"]["slots"] and len(body["data"]["slots"]) == 7'
request "the owner's calendar" 200 GET "/api/projects/$project/bookings?from=2099-01-05T00:00:00.000Z" -b "$jar"
expect '[b["customerName"] for b in body["data"]] == ["Jonas Weber"]'
request "agent key elsewhere: 401" 401 GET /api/projects "${agent[@]}"
request "conversation with the agent key" 201 POST /api/conversations "${ct[@]}" "${agent[@]}" \
  -d '{"transcript":{"turns":[{"role":"agent","text":"Studio Nord"}]},"summary":"sam local agent"}'
expect "body[\"data\"][\"projectId\"] == \"$project\""
request "new agent key" 201 POST "/api/projects/$project/keys" -b "$jar" "${ct[@]}" "${from_front_end[@]}" \
  -d '{"name":"sam local"}'
new_key_id=$(json_field 'd["data"]["id"]')
new_key=$(json_field 'd["data"]["key"]')
request "agent keys: never the key" 200 GET "/api/projects/$project/keys" -b "$jar"
expect "\"$new_key_id\" in [k[\"id\"] for k in body[\"data\"]] and all(\"key\" not in k for k in body[\"data\"])"
request "revoke the new key" 200 DELETE "/api/projects/$project/keys/$new_key_id" -b "$jar" "${from_front_end[@]}"
request "the revoked key: 401" 401 GET "/api/projects/$project/availability?$window" \
  -H "authorization: Bearer $new_key"
request "unknown path: the \$default route's 404" 404 GET /api/nothing
expect 'body == {"success": False, "error": "Route not found"}'
request "unserved method: the function's own 405 (ANY route)" 405 DELETE /api/services -b "$jar"
expect 'headers.get("allow") == "GET, POST" and body["error"] == "Method not allowed"'
# API Gateway answers a preflight 204, sam local 200.
request "CORS preflight from the allowed origin" '200|204' OPTIONS /api/bookings "${from_front_end[@]}" \
  -H 'access-control-request-method: POST' -H 'access-control-request-headers: content-type'
expect "headers.get('access-control-allow-origin') == '$origin' and headers.get('access-control-allow-credentials') == 'true'"
request "logout" 200 POST /api/auth/logout -b "$jar" -c "$jar" "${from_front_end[@]}"
request "the old token after logout: 401" 401 GET /api/auth/me -H "authorization: Bearer $token"
expect 'body == {"success": False, "error": "Invalid or expired token"}'

# ---- browser test hook --------------------------------------------------------------------
# .ci/browser.sh drives a real browser against an API base URL given in API_URL. Here the API
# is sam local's, with $origin as the one allowed front-end origin.
if [[ -x .ci/browser.sh ]]; then
  step "browser test through sam local"
  # SAM CLI's CORS emulation knows no ExposeHeaders (its Cors model has origin, methods,
  # headers, credentials and max age only), so the page cannot read Retry-After here; the
  # deployed HTTP API sends the template's ExposeHeaders, and `cargo run` is checked for it.
  API_URL=$api APP_PORT=8080 CORS_EXPOSES_HEADERS=0 .ci/browser.sh || failed=1
fi
# -------------------------------------------------------------------------------------------

[[ $failed -eq 0 ]] || { echo "--- sam local log (tail)" >&2; tail -n 60 "$work/sam.log" >&2; fail "the smoke failed (see above)"; }
echo
echo "sam local: $n requests answered as expected; every function ran in the Lambda image"
