#!/usr/bin/env bash
# Usage: ensure-debian-binary.sh BINARY PACKAGE
# Makes sure BINARY is on PATH for a test suite, installing Debian's PACKAGE
# with apt-get when it is missing. Only the binary is used: the suites start
# their own processes on free loopback ports with throwaway state; the
# package's system service is neither needed nor started (policy-rc.d keeps
# it from starting). Prints the binary's path on stdout.
set -euo pipefail
bin=$1 pkg=$2

if command -v "$bin" >/dev/null 2>&1; then
  command -v "$bin"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure $bin: it is not installed and installing it needs root: apt-get install $pkg" >&2
  exit 1
fi

echo "ensure $bin: installing $pkg with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ -z "$created_policy" ] || rm -f "$policy"' EXIT
if ! apt-get install -y --no-install-recommends "$pkg" >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends "$pkg" >&2
fi
command -v "$bin" >/dev/null 2>&1 || { echo "ensure $bin: $pkg installed but no $bin on PATH" >&2; exit 1; }
"$bin" --version >&2
command -v "$bin"
