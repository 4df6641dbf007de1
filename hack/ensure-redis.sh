#!/usr/bin/env bash
# Makes sure a redis-server binary is available for the GitOps end-to-end
# suite (make e2e-gitops): argocd-repo-server needs a redis for its cache.
# Installs Debian's redis-server with apt-get when it is missing. Only the
# binary is used: the suite starts its own redis on a free loopback port
# without persistence; the package's system service is neither needed nor
# started (policy-rc.d keeps it from starting).
# Prints the binary's path on stdout.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  command -v redis-server
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-redis: redis-server is not installed and installing it needs root: apt-get install redis-server" >&2
  exit 1
fi

echo "ensure-redis: installing redis-server with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ -z "$created_policy" ] || rm -f "$policy"' EXIT
if ! apt-get install -y --no-install-recommends redis-server >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends redis-server >&2
fi
command -v redis-server >/dev/null 2>&1 || { echo "ensure-redis: redis-server installed but not on PATH" >&2; exit 1; }
redis-server --version >&2
command -v redis-server
