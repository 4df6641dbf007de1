#!/usr/bin/env bash
# The redis-server binary of the GitOps end-to-end suite (make e2e-gitops):
# argocd-repo-server needs a redis for its cache. Prints its path.
exec "$(dirname "$0")/ensure-debian-binary.sh" redis-server redis-server
