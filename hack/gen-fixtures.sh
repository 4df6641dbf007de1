#!/usr/bin/env bash
# Regenerates the SOPS-encrypted fixtures in testdata/secrets/ and examples/
# with the sops CLI (so that the tests prove interoperability with it), then
# refreshes the golden files. Plaintext only ever exists in a private temp dir
# that is removed on exit. The age keys are created once and kept:
#   examples/demo.agekey      demo-only key (committed on purpose; never use it for real data)
#   testdata/keys/other.agekey a second key, for "wrong key" tests
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
SOPS="$BIN/sops"
[ -x "$SOPS" ] || { echo "gen-fixtures: $SOPS missing; run 'make tools'" >&2; exit 1; }

# Hermetic: no host sops keys or config. Keep Go's caches where they were.
export GOPATH=$(go env GOPATH) GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)
export HOME=$(mktemp -d) XDG_CONFIG_HOME=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$work" "$HOME" "$XDG_CONFIG_HOME"' EXIT
chmod 700 "$work"

keygen() { # FILE
  [ -s "$1" ] && return
  mkdir -p "$(dirname "$1")"
  go run filippo.io/age/cmd/age-keygen@v1.3.1 -o "$1" 2>/dev/null
}
recipient() { grep -o 'age1[0-9a-z]*' "$1" | head -1; }
keygen examples/demo.agekey
keygen testdata/keys/other.agekey
DEMO=$(recipient examples/demo.agekey)
OTHER=$(recipient testdata/keys/other.agekey)

go run ./hack/genkubeconfig "$work"

enc() { # RECIPIENT PLAINTEXT OUT [extra sops args]
  local r=$1 in=$2 out=$3; shift 3
  mkdir -p "$(dirname "$out")"
  (cd "$work" && "$SOPS" --disable-version-check encrypt --age "$r" "$@" "$(basename "$in")") > "$out.tmp"
  mv "$out.tmp" "$out"
}

T=testdata/secrets
rm -rf "$T"; mkdir -p "$T"
enc "$DEMO" kubeconfig.yaml $T/kubeconfig.yaml
enc "$DEMO" kubeconfig-exec.yaml $T/kubeconfig-exec.yaml
enc "$DEMO" kubeconfig-insecure.yaml $T/kubeconfig-insecure.yaml
enc "$DEMO" kubeconfig-filepaths.yaml $T/kubeconfig-filepaths.yaml
enc "$DEMO" kubeconfig-nocontext.yaml $T/kubeconfig-nocontext.yaml
enc "$DEMO" kubeconfig-twoauth.yaml $T/kubeconfig-twoauth.yaml
enc "$DEMO" kubeconfig-expired.yaml $T/kubeconfig-expired.yaml
enc "$DEMO" kubeconfig-keymismatch.yaml $T/kubeconfig-keymismatch.yaml
enc "$DEMO" kubeconfig-jwt.yaml $T/kubeconfig-jwt.yaml
enc "$OTHER" kubeconfig.yaml $T/kubeconfig-otherkey.yaml
enc "$DEMO" token.txt $T/token.enc
enc "$DEMO" token-ws.txt $T/token-ws.enc
enc "$DEMO" secrets.yaml $T/secrets.yaml
enc "$DEMO" px.env $T/px.env
(cd "$work" && "$SOPS" --disable-version-check --mac-only-encrypted encrypt --age "$DEMO" secrets.yaml) > $T/secrets-mac-only.yaml
enc "$DEMO" source-kubeconfig.yaml $T/source-kubeconfig.yaml
enc "$DEMO" source-token.txt $T/source-token.enc
enc "$DEMO" objectstore.yaml $T/objectstore.yaml
enc "$DEMO" azure-sp.yaml $T/azure-sp.yaml
enc "$DEMO" gcp-key.json $T/gcp-key.json
enc "$DEMO" gcp-key-incomplete.json $T/gcp-key-incomplete.json
cp "$work/px-plain.txt" $T/token-plaintext.txt
# Damaged files: cut in half (sops metadata lost), and a MAC taken from another file.
head -c "$(( $(wc -c < $T/kubeconfig.yaml) / 2 ))" $T/kubeconfig.yaml > $T/kubeconfig-truncated.yaml
python3 - "$T" <<'PY'
import re, sys
d = sys.argv[1]
victim = open(f"{d}/kubeconfig.yaml").read()
donor = open(f"{d}/kubeconfig-insecure.yaml").read()
mac = re.search(r"^    mac: (.*)$", donor, re.M).group(1)
open(f"{d}/kubeconfig-tampered.yaml", "w").write(re.sub(r"^    mac: .*$", "    mac: " + mac, victim, flags=re.M))
PY

E=examples/kustomize
enc "$DEMO" kubeconfig.yaml $E/destination-kubeconfig.yaml
enc "$DEMO" token.txt $E/px-token.enc
# The Argo CD fleet example: one pair per directory (and the reverse
# pair's files where the request has spec.reverse).
for P in examples/argocd/pairs/*/; do
  enc "$DEMO" kubeconfig.yaml "${P}destination-kubeconfig.yaml"
  enc "$DEMO" token.txt "${P}px-token.enc"
  if [ -f "${P}source-kubeconfig.yaml" ]; then
    enc "$DEMO" kubeconfig.yaml "${P}source-kubeconfig.yaml"
    enc "$DEMO" token.txt "${P}source-token.enc"
  fi
done
K=examples/kpt/secrets
enc "$DEMO" kubeconfig.yaml $K/destination-kubeconfig.yaml
enc "$DEMO" token.txt $K/px-token.enc
for d in examples/flux/pair/secrets examples/bidirectional/secrets; do
  enc "$DEMO" kubeconfig.yaml $d/destination-kubeconfig.yaml
  enc "$DEMO" token.txt $d/px-token.enc
done
B=examples/bidirectional/secrets
enc "$DEMO" source-kubeconfig.yaml $B/source-kubeconfig.yaml
enc "$DEMO" source-token.txt $B/source-token.enc
enc "$DEMO" objectstore.yaml $B/objectstore.yaml
echo "gen-fixtures: re-render examples/kpt and examples/flux (see their READMEs) after this" >&2
echo "gen-fixtures: wrote $T/, $E/ and examples/argocd/pairs/ (recipient $DEMO)"
