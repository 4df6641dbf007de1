#!/usr/bin/env bash
# Makes sure an etcd binary is available for the cluster end-to-end suite
# (make e2e): Debian's etcd-server package (3.4.x, which kube-apiserver 1.34
# accepts on loopback). Installs it with apt-get when `etcd` is missing.
# Only the binary is used: the suite starts its own etcd processes on free
# loopback ports with throwaway data dirs; the package's system service is
# neither needed nor started (policy-rc.d keeps it from starting).
# Prints the binary's path on stdout.
set -euo pipefail

if command -v etcd >/dev/null 2>&1; then
  command -v etcd
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-etcd: etcd is not installed and installing it needs root: apt-get install etcd-server" >&2
  exit 1
fi

echo "ensure-etcd: installing etcd-server with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep the package's service from starting (no init system in CI anyway).
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ -z "$created_policy" ] || rm -f "$policy"' EXIT
if ! apt-get install -y --no-install-recommends etcd-server >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends etcd-server >&2
fi
command -v etcd >/dev/null 2>&1 || { echo "ensure-etcd: etcd-server installed but no etcd on PATH" >&2; exit 1; }
etcd --version >&2
command -v etcd
