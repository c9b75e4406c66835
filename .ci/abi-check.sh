#!/usr/bin/env bash
# Checks every built bootstrap against what Lambda's provided.al2023 runtime offers:
#   - no glibc symbol version newer than GLIBC_2.34 (Amazon Linux 2023's glibc), from objdump -T;
#   - no shared library but libc, libm, libgcc_s and the loader, from readelf -d;
#   - the architecture of template.yaml's Architecture default, from file.
# The stand-in image of .ci/lambda-image.sh carries this machine's glibc, which may be newer, so
# running there proves none of this. Prints one row per bootstrap and, for the newest version
# needed, the symbols that need it (what would have to change to gain headroom).
#
# Usage: .ci/abi-check.sh [build dir]   (default .aws-sam/build)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-.aws-sam/build}
max_glibc=2.34
allowed_libs=' libc.so.6 libm.so.6 libgcc_s.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 '

arch=$(awk '
  /^Parameters:/ { in_params = 1; next }
  in_params && /^[^ ]/ { in_params = 0 }
  in_params && /^  Architecture:/ { in_arch = 1; next }
  in_arch && /^  [^ ]/ { in_arch = 0 }
  in_arch && /^    Default:/ { print $2; exit }
' template.yaml)
case $arch in
  x86_64) file_arch='x86-64' ;;
  arm64) file_arch='ARM aarch64' ;;
  *) echo "abi-check.sh: no Architecture default in template.yaml (got '$arch')" >&2; exit 1 ;;
esac

shopt -s nullglob
bootstraps=("$build"/*/bootstrap)
[[ ${#bootstraps[@]} -gt 0 ]] || { echo "abi-check.sh: no bootstraps under $build" >&2; exit 1; }

# Whether version $1 is newer than version $2.
newer() { [[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1) == "$1" ]]; }

failed=0
printf '%-24s %-8s %-8s %s\n' FUNCTION GLIBC ARCH NEEDED
for bootstrap in "${bootstraps[@]}"; do
  id=$(basename "$(dirname "$bootstrap")")
  versions=$(objdump -T "$bootstrap" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV)
  newest=$(tail -n1 <<< "$versions")
  needed=$(readelf -d "$bootstrap" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  description=$(file -b "$bootstrap")
  got_arch=$(grep -o 'x86-64\|ARM aarch64' <<< "$description" | head -n1)
  printf '%-24s %-8s %-8s %s\n' "$id" "${newest:-none}" "$arch" "$needed"
  if [[ -n $newest ]] && newer "$newest" "$max_glibc"; then
    echo "  FAIL: needs GLIBC_$newest (> $max_glibc) for:" \
      "$(objdump -T "$bootstrap" | awk -v v="GLIBC_$newest" '$0 ~ v { printf "%s ", $NF }')" >&2
    failed=1
  fi
  for lib in $needed; do
    if [[ $allowed_libs != *" $lib "* ]]; then
      echo "  FAIL: links $lib, which the Lambda image does not have" >&2
      failed=1
    fi
  done
  if [[ $got_arch != "$file_arch" ]]; then
    echo "  FAIL: built for $got_arch, the template's Architecture default is $arch ($description)" >&2
    failed=1
  fi
done

# What holds the floor: the symbols of the newest version any bootstrap needs.
newest_all=$(for b in "${bootstraps[@]}"; do objdump -T "$b"; done | grep -o 'GLIBC_[0-9][0-9.]*' |
  sed 's/GLIBC_//' | sort -uV | tail -n1)
echo "newest glibc version needed: GLIBC_$newest_all (limit GLIBC_$max_glibc), by:" \
  "$(for b in "${bootstraps[@]}"; do objdump -T "$b"; done |
    awk -v v="(GLIBC_$newest_all)" 'index($0, v) { print $NF }' | sort -u | tr '\n' ' ')"
if [[ $failed -ne 0 ]]; then
  echo "abi-check.sh: some bootstraps would not run on provided.al2023 (see above)" >&2
  exit 1
fi
echo "abi-check.sh: ${#bootstraps[@]} bootstraps fit provided.al2023 ($arch, glibc <= $max_glibc)"
