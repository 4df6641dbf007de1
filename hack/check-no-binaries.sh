#!/usr/bin/env bash
# Fails when git tracks a compiled program (ELF, Mach-O, PE) or any file with
# a NUL byte outside the test data that is binary on purpose: build outputs
# belong in ./bin, ./dist or .cache, never in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
    7f454c46|cffaedfe|cefaedfe|feedface|feedfacf|cafebabe|4d5a*)
      echo "tracked binary: $f (build outputs must not be committed)" >&2
      status=1 ;;
  esac
done < <(git ls-files -z)
exit $status
