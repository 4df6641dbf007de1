//go:build cluster

package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// pairRequest is what pairRequestDir renders: one async-dr pair in
// namespace ns whose destination is kubeconfig.
type pairRequest struct {
	name, ns   string
	kubeconfig []byte
	server     string // spec.destination.kubeconfig.server, optional
	ip         string // spec.storage.ip
	port       int    // spec.storage.port; 0 omits it (9001)
	token      string // the decrypted pairing token
	mode       string // spec.mode; default async-dr
	// backupLocation renders spec.objectStore.existing (options.backuplocation).
	backupLocation string
	// engines is spec.gitopsEngines as YAML flow ("[flux]"); empty omits it.
	engines string
	// extra is appended to the request's spec (indented two spaces).
	extra string
}

// pairRequestDir writes (or, given dir, rewrites in place: a new commit of
// the same pair directory) a kustomization directory rendering r, with its
// secrets SOPS-encrypted to key.
func pairRequestDir(t testing.TB, key ageKey, r pairRequest, dir ...string) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), r.name)
	if len(dir) > 0 {
		d = dir[0]
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	mode := r.mode
	if mode == "" {
		mode = "async-dr"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: fn.clusterpair.dev/v1alpha1
kind: ClusterPairRequest
metadata:
  name: %s
  namespace: %s
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: clusterpair-fn
spec:
  mode: %s
  destination:
    kubeconfig:
      file: destination-kubeconfig.yaml
`, r.name, r.ns, mode)
	if r.server != "" {
		fmt.Fprintf(&b, "      server: %s\n", r.server)
	}
	fmt.Fprintf(&b, "  storage:\n    ip: %s\n", r.ip)
	if r.port != 0 {
		fmt.Fprintf(&b, "    port: %d\n", r.port)
	}
	b.WriteString("    token:\n      file: px-token.enc\n")
	if r.backupLocation != "" {
		fmt.Fprintf(&b, "  objectStore:\n    existing: %s\n", r.backupLocation)
	}
	if r.engines != "" {
		fmt.Fprintf(&b, "  gitopsEngines: %s\n", r.engines)
	}
	b.WriteString(r.extra)
	files := map[string][]byte{
		"clusterpair.yaml":            []byte(b.String()),
		"kustomization.yaml":          []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngenerators:\n  - clusterpair.yaml\n"),
		"destination-kubeconfig.yaml": sopsEncrypt(t, key, "destination-kubeconfig.yaml", r.kubeconfig),
		"px-token.enc":                sopsEncrypt(t, key, "px-token.enc", []byte(r.token+"\n")),
	}
	for n, data := range files {
		if err := os.WriteFile(filepath.Join(d, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// renderPair renders a pair directory with the real kustomize and
// clusterpair-fn and returns the one ClusterPair it prints.
func renderPair(t testing.TB, key ageKey, dir string) *unstructured.Unstructured {
	t.Helper()
	r := kustomizeBuild(t, dir, "SOPS_AGE_KEY="+key.identity)
	if r.err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, r.err, r.stderr)
	}
	var pair *unstructured.Unstructured
	for _, o := range splitObjects(t, r.stdout) {
		if o.GetKind() == "ClusterPair" {
			if pair != nil {
				t.Fatalf("more than one ClusterPair rendered:\n%s", r.stdout)
			}
			pair = o
		}
	}
	if pair == nil {
		t.Fatalf("no ClusterPair rendered:\n%s", r.stdout)
	}
	return pair
}
