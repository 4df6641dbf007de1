#!/usr/bin/env bash
# Builds a real kube-apiserver from the Go module proxy (no container registry,
# no release tarball) for the cluster end-to-end suite (make e2e).
#
# k8s.io/kubernetes is not meant to be consumed as a module: its go.mod
# requires every staging module (k8s.io/api, k8s.io/client-go, ...) at
# v0.0.0 and replaces them with ./staging/src/... paths. A throwaway module
# that requires k8s.io/kubernetes and replaces each staging module with its
# published v0.<minor>.<patch> tag builds cmd/kube-apiserver unchanged.
#
# The binary is cached at .cache/kube-apiserver/$VERSION/kube-apiserver
# (.cache/ is gitignored); a rerun with the binary present does nothing.
# Prints the binary's path on stdout.
#
# KUBE_COMPONENT=kube-controller-manager builds that command instead, from the
# same module version (the service-account token controller that populates
# kubernetes.io/service-account-token Secrets lives there), cached beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${KUBE_VERSION:-v1.34.2}
COMPONENT=${KUBE_COMPONENT:-kube-apiserver}
case "$COMPONENT" in
  kube-apiserver|kube-controller-manager) ;;
  *) echo "build-kube-apiserver: KUBE_COMPONENT must be kube-apiserver or kube-controller-manager" >&2; exit 1 ;;
esac
STAGING_VERSION=v0.${VERSION#v1.}
OUT_DIR=$PWD/.cache/$COMPONENT/$VERSION
OUT=$OUT_DIR/$COMPONENT

if [ -x "$OUT" ]; then
  echo "$OUT"
  exit 0
fi

# The staging modules of k8s.io/kubernetes v1.34.2, exactly as its go.mod
# replaces them (sample-cli-plugin and sample-controller are replaced there but
# not required, so they are not needed here).
STAGING=(
  api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base
  component-helpers controller-manager cri-api cri-client csi-translation-lib
  dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
  kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "module kube-apiserver-build"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $VERSION"
  echo
  echo "replace ("
  for m in "${STAGING[@]}"; do
    echo "	k8s.io/$m => k8s.io/$m $STAGING_VERSION"
  done
  echo ")"
} > "$work/go.mod"
cat > "$work/tools.go" <<EOF
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/$COMPONENT"
EOF

echo "build-kube-apiserver: building k8s.io/kubernetes/cmd/$COMPONENT $VERSION (a few minutes on 2 cores)" >&2
start=$(date +%s)
mkdir -p "$OUT_DIR"
(
  cd "$work"
  export GOFLAGS=-trimpath CGO_ENABLED=0 GOWORK=off
  go mod tidy -e >&2 2>"$work/tidy.log" || { cat "$work/tidy.log" >&2; exit 1; }
  # Stamp the version the way the release build does, so /version reports it.
  pkg=k8s.io/component-base/version
  minor=${VERSION#v1.}; minor=${minor%%.*}
  go build -ldflags "-s -w -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean" \
    -o "$OUT.tmp" "k8s.io/kubernetes/cmd/$COMPONENT"
)
mv "$OUT.tmp" "$OUT"
echo "build-kube-apiserver: built $OUT in $(( $(date +%s) - start ))s" >&2
"$OUT" --version >&2
echo "$OUT"
