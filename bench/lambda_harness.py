"""A minimal AWS Lambda Runtime API on 127.0.0.1 that boots one function binary, times its
initialisation (exec until its first request for work), its first invocation (which opens the
database connection) and its warm invocations, and reads its peak RSS afterwards.

It also imitates the AWS Parameters and Secrets Lambda extension's endpoint, as deployed
functions read their secrets at init: JWT_SECRET and DB_PASSWORD from the environment are served
there under JWT_SECRET_ID / DB_PASSWORD_SECRET_ID instead of being passed to the function, so
the init time includes fetching them (from a local cache, as the extension's is after its first
Secrets Manager call).

usage: lambda_harness.py BOOTSTRAP EVENT.json INVOCATIONS   (environment passed through)
prints: JSON {"init_ms", "first_ms", "warm_p50_ms", "warm_p99_ms", "peak_rss_kb", "statuses"}
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

bootstrap, event_path, invocations = sys.argv[1], sys.argv[2], int(sys.argv[3])
event = open(event_path, "rb").read()
pending = queue.Queue()
answers = queue.Queue()
first_poll = threading.Event()
marks = {}


class Runtime(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if not self.path.endswith("/runtime/invocation/next"):
            return self.reply(404)
        if not first_poll.is_set():
            marks["first_poll"] = time.perf_counter()
            first_poll.set()
        request_id = pending.get()
        marks[request_id] = time.perf_counter()
        self.reply(200, event, [
            ("Lambda-Runtime-Aws-Request-Id", request_id),
            ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000)),
            ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench"),
            ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0"),
            ("Content-Type", "application/json"),
        ])

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        done = time.perf_counter()
        parts = self.path.split("/")
        if "invocation" in parts:
            request_id = parts[parts.index("invocation") + 1]
            answers.put((request_id, done, parts[-1], body))
        else:
            answers.put((None, done, "init-error", body))
        self.reply(202, b"{}")


SESSION_TOKEN = "bench-session-token"
secrets = {}  # secret id -> SecretString


class SecretsExtension(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One small answer per connection: send it at once rather than wait for an ACK.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        secret_id = parse_qs(url.query).get("secretId", [""])[0]
        if self.headers.get("X-Aws-Parameters-Secrets-Token") != SESSION_TOKEN:
            status, body = 401, {"message": "missing or wrong X-Aws-Parameters-Secrets-Token"}
        elif url.path != "/secretsmanager/get" or secret_id not in secrets:
            status, body = 400, {"__type": "ResourceNotFoundException"}
        else:
            status, body = 200, {"Name": secret_id, "SecretString": secrets[secret_id],
                                 "VersionStages": ["AWSCURRENT"]}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The function's long poll is cut when the harness kills it at the end: not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", 0), Runtime)
threading.Thread(target=server.serve_forever, daemon=True).start()
# Single-threaded: init asks for its secrets one after another, and a thread per request
# would add its start to the function's measured init.
extension = HTTPServer(("127.0.0.1", 0), SecretsExtension)
threading.Thread(target=extension.serve_forever, daemon=True).start()
env = dict(os.environ)
name = os.path.basename(bootstrap)
if name == "bootstrap":  # sam build's layout: .aws-sam/build/<LogicalId>/bootstrap
    name = os.path.basename(os.path.dirname(bootstrap))
# As in template.yaml: migrate reads no signing key.
for value_var, id_var in [("JWT_SECRET", "JWT_SECRET_ID"), ("DB_PASSWORD", "DB_PASSWORD_SECRET_ID")]:
    value = env.pop(value_var, None)
    if value and not ("migrate" in name.lower() and value_var == "JWT_SECRET"):
        secrets["booking-api/" + value_var.lower()] = value
        env[id_var] = "booking-api/" + value_var.lower()
env.update({
    "AWS_SESSION_TOKEN": SESSION_TOKEN,
    "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(extension.server_address[1]),
    "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % server.server_address[1],
    "AWS_LAMBDA_FUNCTION_NAME": os.path.basename(os.path.dirname(bootstrap)) or "bench",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_REGION": "us-east-1",
})
started = time.perf_counter()
proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    if not first_poll.wait(10):
        sys.exit("%s never asked for work" % bootstrap)
    init_ms = (marks["first_poll"] - started) * 1000
    durations, statuses = [], {}
    for _ in range(invocations):
        request_id = str(uuid.uuid4())
        pending.put(request_id)
        got, done, kind, body = answers.get(timeout=30)
        if kind != "response":
            sys.exit("%s: %s %s" % (bootstrap, kind, body[:300]))
        durations.append((done - marks[got]) * 1000)
        try:
            status = json.loads(body).get("statusCode", "ok")
        except ValueError:
            status = "?"
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    status_file = open("/proc/%d/status" % proc.pid).read()
    peak_kb = int(next(l.split()[1] for l in status_file.splitlines() if l.startswith("VmHWM")))
    warm = sorted(durations[1:]) or durations
    print(json.dumps({
        "init_ms": round(init_ms, 2),
        "first_ms": round(durations[0], 2),
        "warm_p50_ms": round(warm[len(warm) // 2], 3),
        "warm_p99_ms": round(warm[min(len(warm) - 1, int(len(warm) * 0.99))], 3),
        "peak_rss_kb": peak_kb,
        "statuses": statuses,
    }))
finally:
    proc.kill()
    proc.wait()
    server.shutdown()
    extension.shutdown()
