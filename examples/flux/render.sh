#!/usr/bin/env bash
# Re-renders the encrypted ClusterPair Flux applies. Run it in CI on every
# change under pair/ (see ci-workflow.yaml) with the renderer's age key in
# SOPS_AGE_KEY or SOPS_AGE_KEY_FILE; commit rendered/ if it changed.
# Unchanged inputs keep the committed ciphertext byte for byte, so the job
# only produces a commit when something really changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/pair/rendered/clusterpair.yaml"
# Write nothing through a symbolic link: pair/ is written by whoever may
# change the request, and a symlinked rendered/ or output file would make
# this job, which holds the key, write wherever it points.
refuse_links() {
  for p in "$@"; do
    if [ -L "$p" ]; then
      echo "render.sh: ${p#"$here/"} is a symbolic link: refusing to write through it" >&2
      exit 1
    fi
  done
  if [ -e "$p" ] && [ ! -f "$p" ]; then
    echo "render.sh: ${p#"$here/"} is not a regular file" >&2
    exit 1
  fi
}
refuse_links "$here/pair" "$here/pair/rendered" "$out"
tmp=$(mktemp "$here/pair/rendered/.clusterpair.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# --require-encrypted: every rendered object must be SOPS-encrypted, or
# nothing is written (a request without spec.output.encrypt fails the run).
clusterpair-fn build --require-encrypted "$here/pair" > "$tmp"
mv "$tmp" "$out"
trap - EXIT
