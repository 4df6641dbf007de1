#!/usr/bin/env bash
# Re-renders the encrypted ClusterPair Flux applies. Run it in CI on every
# change under pair/ (see ci-workflow.yaml) with the renderer's age key in
# SOPS_AGE_KEY or SOPS_AGE_KEY_FILE; commit rendered/ if it changed.
# Unchanged inputs keep the committed ciphertext byte for byte, so the job
# only produces a commit when something really changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/pair/rendered/clusterpair.yaml"
tmp=$(mktemp "$here/pair/rendered/.clusterpair.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# --require-encrypted: every rendered object must be SOPS-encrypted, or
# nothing is written (a request without spec.output.encrypt fails the run).
clusterpair-fn build --require-encrypted "$here/pair" > "$tmp"
mv "$tmp" "$out"
trap - EXIT
