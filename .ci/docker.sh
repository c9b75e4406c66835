#!/usr/bin/env bash
# Makes Docker usable for `sam local`: installs Debian's docker.io when dockerd is missing, and
# starts dockerd in the background when no daemon answers. Fails loudly when Docker cannot run:
# CI must not pass by skipping the sam local smoke.
#
# Usage: .ci/docker.sh PIDFILE   (writes the pid of a dockerd it started to PIDFILE, so that the
#                                 caller can stop it; leaves PIDFILE empty when one was running)
set -euo pipefail

pidfile=${1:?usage: docker.sh PIDFILE}
: > "$pidfile"

fail() {
  printf 'docker.sh: %s\n' "$*" >&2
  exit 1
}

if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
  echo "docker.sh: installing docker.io"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq || fail "apt-get update failed"
  timeout 900 apt-get install -y -qq docker.io >/dev/null || fail "cannot install docker.io"
fi

if timeout 20 docker info >/dev/null 2>&1; then
  echo "docker.sh: dockerd already running"
  exit 0
fi

log=${TMPDIR:-/tmp}/dockerd.log
echo "docker.sh: starting dockerd (log: $log)"
# setsid: the daemon must not die with the shell that started it before the caller stops it.
setsid dockerd > "$log" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$pidfile"
for _ in $(seq 1 60); do
  timeout 5 docker info >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; fail "dockerd exited"; }
  sleep 1
done
timeout 10 docker info >/dev/null 2>&1 || { tail -n 30 "$log" >&2; fail "dockerd did not answer within 60 s"; }
echo "docker.sh: dockerd $pid up ($(docker version -f '{{.Server.Version}}'))"
