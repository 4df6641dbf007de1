//go:build cluster && gitops

package cluster

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// testFlux renders requests with encrypted output as CI does
// (examples/flux/render.sh), then runs what kustomize-controller runs on the
// committed output with examples/flux's Kustomization: Flux's kustomize
// build, SOPS decryption with the age key, Flux's server-side apply, and
// Flux's CEL health checks against the live object.
func testFlux(t *testing.T, src *apiServer, fluxapply string, key ageKey, kc []byte) {
	ks := testenv.Path("examples", "flux", "cluster", "kustomization.yaml")
	kubeconfig := adminKubeconfig(t, src)
	keyFile := writeFile(t, filepath.Join(t.TempDir(), "identity.agekey"), []byte(key.identity+"\n"))
	flux := func(t *testing.T, args ...string) toolResult {
		t.Helper()
		r := runTool(t, fluxapply, nil, args...)
		if strings.Contains(r.stdout+r.stderr, key.identity) {
			t.Errorf("the age identity reached fluxapply's output")
		}
		return r
	}
	applyDir := func(t *testing.T, dir, ageKeyFile string) toolResult {
		t.Helper()
		artifact := filepath.Join(t.TempDir(), "artifact")
		copyDir(t, dir, artifact) // as source-controller's artifact, extracted
		return flux(t, "apply", "-kubeconfig", kubeconfig, "-kustomization", ks, "-path", artifact, "-age-key-file", ageKeyFile)
	}
	health := func(t *testing.T, name string) string {
		t.Helper()
		r := flux(t, "status", "-kubeconfig", kubeconfig, "-kustomization", ks, "-name", name, "-namespace", pairNamespace)
		if r.err != nil {
			t.Fatalf("fluxapply status: %v\n%s", r.err, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}

	rendered := renderForFlux(t, key, "flux-pair", kc)

	t.Run("applied decrypted and pairs", func(t *testing.T) {
		r := applyDir(t, rendered, keyFile)
		if r.err != nil {
			t.Fatalf("fluxapply apply: %v\n%s", r.err, r.stderr)
		}
		if !strings.Contains(r.stdout, "created ClusterPair/"+pairNamespace+"/flux-pair") {
			t.Fatalf("ssa did not create the pair:\n%s", r.stdout)
		}
		summary.addApplied("ClusterPair %s/flux-pair (source, applied by fluxcd/pkg/ssa after Flux's kustomize build)", pairNamespace)
		expectPaired(t, src, "flux-pair", "Flux")
	})

	t.Run("health follows Stork's status", func(t *testing.T) {
		if got := health(t, "flux-pair"); got != "InProgress" {
			t.Fatalf("just applied, no status: health %q, want InProgress", got)
		}
		for _, step := range []struct{ scheduler, storage, want string }{
			{"Pending", "Pending", "InProgress"},
			{"Ready", "NotProvided", "Current"},
			{"Error", "NotProvided", "Failed"},
		} {
			setStorkStatus(t, src, "flux-pair", step.scheduler, step.storage)
			if got := health(t, "flux-pair"); got != step.want {
				t.Fatalf("status %s/%s: health %q, want %s", step.scheduler, step.storage, got, step.want)
			}
			switch step.want {
			case "Current":
				if r := flux(t, "wait", "-kubeconfig", kubeconfig, "-kustomization", ks, "-name", "flux-pair", "-namespace", pairNamespace, "-timeout", "2m"); r.err != nil {
					t.Fatalf("ssa wait on a Ready pair: %v\n%s", r.err, r.stderr)
				}
			case "Failed":
				r := flux(t, "wait", "-kubeconfig", kubeconfig, "-kustomization", ks, "-name", "flux-pair", "-namespace", pairNamespace, "-timeout", "2m")
				if r.err == nil || !strings.Contains(r.stderr, "health check failed") {
					t.Fatalf("ssa wait on an Error pair: %v\n%s%s", r.err, r.stdout, r.stderr)
				}
			}
		}
	})

	t.Run("unchanged re-render is neither a Git change nor a re-apply", func(t *testing.T) {
		before, err := os.ReadFile(filepath.Join(rendered, "clusterpair.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		again := renderForFlux(t, key, "flux-pair", nil, filepath.Dir(rendered))
		after, err := os.ReadFile(filepath.Join(again, "clusterpair.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Fatalf("re-rendering unchanged input changed the committed file")
		}
		r := applyDir(t, rendered, keyFile)
		if r.err != nil {
			t.Fatalf("fluxapply apply: %v\n%s", r.err, r.stderr)
		}
		if strings.TrimSpace(r.stdout) != "unchanged ClusterPair/"+pairNamespace+"/flux-pair" {
			t.Fatalf("re-apply of unchanged output: ssa reports\n%s", r.stdout)
		}
	})

	t.Run("wrong key fails decryption and applies nothing", func(t *testing.T) {
		dir := renderForFlux(t, key, "flux-wrong-key", kc)
		wrong := writeFile(t, filepath.Join(t.TempDir(), "identity.agekey"), []byte(newAgeKey(t).identity+"\n"))
		r := applyDir(t, dir, wrong)
		if r.err == nil || !strings.Contains(r.stderr, "decryption of") {
			t.Fatalf("apply with the wrong key: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if strings.TrimSpace(r.stdout) != "" {
			t.Errorf("a failed apply reported changes:\n%s", r.stdout)
		}
		_, err := src.dyn.Resource(clusterPairGVR).Namespace(pairNamespace).Get(context.Background(), "flux-wrong-key", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("the pair exists after a failed decryption (err %v)", err)
		}
	})

	t.Run("examples/flux committed output", func(t *testing.T) {
		r := applyDir(t, testenv.Path("examples", "flux", "pair", "rendered"), testenv.DemoKeyFile())
		if r.err != nil {
			t.Fatalf("fluxapply apply: %v\n%s", r.err, r.stderr)
		}
		stored := getClusterPair(t, src, "dr-west")
		if bytes.Contains(mustJSON(stored.Object), []byte("ENC[")) {
			t.Fatalf("the committed example was applied encrypted")
		}
		if _, strictErrs, err := decodeStorkClusterPair(mustJSON(stored.Object)); err != nil || len(strictErrs) > 0 {
			t.Fatalf("Stork's decoding of the committed example: %v %v", err, strictErrs)
		}
		summary.addApplied("ClusterPair %s/dr-west (source, examples/flux/pair/rendered applied by fluxcd/pkg/ssa)", pairNamespace)
	})
}

// renderForFlux renders a pair request whose output is encrypted to key, as
// examples/flux/render.sh does in CI, into <dir>/rendered/clusterpair.yaml
// and returns the rendered directory. With kc nil it re-renders the request
// already in base (the parent of an earlier rendered directory).
func renderForFlux(t *testing.T, key ageKey, name string, kc []byte, base ...string) string {
	t.Helper()
	var dir string
	if kc != nil {
		dir = pairDir(t, key, name, kc, "")
		appendRequest(t, dir, "  output:\n    file: rendered/clusterpair.yaml\n    encrypt:\n      age:\n        - "+key.recipient+"\n")
		if err := os.MkdirAll(filepath.Join(dir, "rendered"), 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		dir = base[0]
	}
	r := kustomizeBuild(t, dir, "SOPS_AGE_KEY="+key.identity)
	if r.err != nil {
		t.Fatalf("render: %v\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "\nsops:") {
		t.Fatalf("the render is not encrypted:\n%s", trimLines(r.stdout, 10))
	}
	out := filepath.Join(dir, "rendered")
	writeFile(t, filepath.Join(out, "clusterpair.yaml"), []byte(r.stdout))
	return out
}

// setStorkStatus writes the pair's status the way Stork does (a plain Update
// with its finalizer; the CRD has no status subresource).
func setStorkStatus(t *testing.T, s *apiServer, name, scheduler, storage string) {
	t.Helper()
	obj := getClusterPair(t, s, name)
	obj.SetFinalizers([]string{"stork.libopenstorage.org/finalizer-cleanup"})
	unstructured.SetNestedField(obj.Object, scheduler, "status", "schedulerStatus")
	unstructured.SetNestedField(obj.Object, storage, "status", "storageStatus")
	unstructured.SetNestedField(obj.Object, "", "status", "remoteStorageId")
	if _, err := s.dyn.Resource(clusterPairGVR).Namespace(pairNamespace).Update(context.Background(), obj, metav1.UpdateOptions{FieldManager: "stork"}); err != nil {
		t.Fatalf("Stork's status update: %v", err)
	}
}
