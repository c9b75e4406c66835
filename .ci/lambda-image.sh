#!/usr/bin/env bash
# Builds, without any registry, a stand-in for the Lambda base image that `sam local` runs
# provided.al2023 functions in, under the tag SAM CLI looks for:
#
#     public.ecr.aws/lambda/provided:al2023-x86_64
#
# On a machine that reaches public.ecr.aws, do not run this: SAM pulls the real image. Here no
# registry is reachable, so the image is a `docker import` of a minimal root file system taken
# from this machine: a static busybox (SAM's own Dockerfile on top of the base image runs `mv` and
# `chmod` through /bin/sh), the host's dynamic loader, libc, libm and libgcc_s (all a bootstrap
# may link against: .ci/abi-check.sh enforces that), an ld.so cache made with `ldconfig -r`,
# /etc/nsswitch.conf so that glibc resolves host names from /etc/hosts and DNS (Docker mounts
# both into every container), and the empty directories Lambda has (/var/task for the code,
# /var/runtime, /opt for layers, /tmp). SAM adds its runtime interface emulator on top when
# started with --skip-pull-image.
#
# What it does not reproduce: Amazon Linux 2023's glibc is 2.34, this machine's may be newer, so
# a bootstrap that needs a newer symbol would still run here; .ci/abi-check.sh catches that.
#
# Usage: .ci/lambda-image.sh [--force]   (does nothing when the tag exists, unless --force)
set -euo pipefail

tag=public.ecr.aws/lambda/provided:al2023-x86_64

fail() {
  printf 'lambda-image.sh: %s\n' "$*" >&2
  exit 1
}

[[ $(uname -m) == x86_64 ]] || fail "the stand-in takes this machine's libraries, so it builds on x86_64 only"
docker info >/dev/null 2>&1 || fail "Docker is not running"
if [[ ${1:-} != --force ]] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "lambda-image.sh: $tag is present"
  exit 0
fi

busybox=/bin/busybox
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  { timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq busybox-static >/dev/null; } ||
    fail "cannot install busybox-static"
fi
file -L "$busybox" | grep -q 'statically linked' || fail "$busybox is not a static busybox"

root=$(mktemp -d "${TMPDIR:-/tmp}/lambda-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,etc,lib64,var/task,var/runtime,opt,tmp,proc,sys,dev,root}
chmod 1777 "$root/tmp"

install -m 0755 "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
done

# The loader at the path every x86_64 binary names (PT_INTERP), and the three libraries, at the
# paths this machine's loader and ldconfig know them by.
copy_lib() {
  local path=$1 real
  real=$(readlink -f "$path")
  [[ -f $real ]] || fail "no $path on this machine"
  mkdir -p "$root$(dirname "$path")"
  cp -L "$real" "$root$path"
}
copy_lib /lib64/ld-linux-x86-64.so.2
for lib in libc.so.6 libm.so.6 libgcc_s.so.1; do
  path=$(ldconfig -p | awk -v lib="$lib" '$1 == lib && /x86-64/ { print $NF; exit }')
  [[ -n $path ]] || fail "ldconfig does not know $lib"
  copy_lib "$path"
  # Lambda's images keep their libraries in /lib64 (LD_LIBRARY_PATH below names it too).
  ln -sf "$path" "$root/lib64/$lib"
done
printf '%s\n' /lib64 /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu > "$root/etc/ld.so.conf"
ldconfig -r "$root"
[[ -s $root/etc/ld.so.cache ]] || fail "ldconfig -r wrote no cache"

printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

# The environment and working directory of the real image, so that SAM's container sees the
# same LAMBDA_TASK_ROOT, PATH and library path.
tar -C "$root" -c . | docker import \
  --change 'ENV LANG=en_US.UTF-8' \
  --change 'ENV TZ=:/etc/localtime' \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'WORKDIR /var/task' \
  --message 'stand-in for the Lambda provided.al2023 image, built offline by .ci/lambda-image.sh' \
  - "$tag" >/dev/null
docker run --rm "$tag" /bin/sh -c 'test -x /lib64/ld-linux-x86-64.so.2 && test -d /var/task' ||
  fail "the image does not run"
echo "lambda-image.sh: built $tag ($(docker image inspect -f '{{.Size}}' "$tag") bytes)"
