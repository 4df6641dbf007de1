package fn_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// countingDecryptor counts the files handed to it: a refused request must
// be refused before any file is read.
type countingDecryptor struct {
	secrets.Decryptor
	calls *atomic.Int32
}

func (d countingDecryptor) Decrypt(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	d.calls.Add(1)
	return d.Decryptor.Decrypt(file, data, format)
}

func (d countingDecryptor) Parse(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	d.calls.Add(1)
	return d.Decryptor.Parse(file, data, format)
}

// sharedRepo lays out what a shared renderer sees: the render root holds
// team A's request; team B's secrets (same key) sit beside the root, and
// inside it a symlink points at them.
func sharedRepo(t *testing.T) (root, teamB string) {
	t.Helper()
	testenv.UseDemoKey(t)
	repo := t.TempDir()
	root = filepath.Join(repo, "team-a")
	teamB = filepath.Join(repo, "team-b")
	for _, d := range []string{root, teamB} {
		testenv.CopyDir(t, testenv.Path("testdata", "secrets"), d)
	}
	if err := os.Symlink("../team-b", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	return root, teamB
}

// TestAnnotationsCannotLeaveTheRoot: a request's own annotations (or ones
// kustomize or kpt passed through unchecked) cannot move the directory its
// files resolve against out of the root the operator chose.
func TestAnnotationsCannotLeaveTheRoot(t *testing.T) {
	root, teamB := sharedRepo(t)
	leaks := fixtureSecrets(t)
	cases := []struct {
		name        string
		annotations []string
		field       string
	}{
		{"internal path to a sibling", []string{"internal.config.kubernetes.io/path", "../team-b/clusterpair.yaml"}, "internal.config.kubernetes.io/path"},
		{"legacy path to the filesystem root", []string{"config.kubernetes.io/path", "../../../../../../x.yaml"}, "config.kubernetes.io/path"},
		{"absolute path", []string{"internal.config.kubernetes.io/path", teamB + "/clusterpair.yaml"}, "internal.config.kubernetes.io/path"},
		{"dot-dot inside a longer path", []string{"internal.config.kubernetes.io/path", "a/../../team-b/x.yaml"}, "internal.config.kubernetes.io/path"},
		{"valid internal path, escaping legacy path", []string{"internal.config.kubernetes.io/path", "x.yaml", "config.kubernetes.io/path", "../team-b/x.yaml"}, "config.kubernetes.io/path"},
		{"package-path of a sibling", []string{"internal.config.kubernetes.io/package-path", teamB}, "internal.config.kubernetes.io/package-path"},
		{"package-path of the filesystem root", []string{"internal.config.kubernetes.io/package-path", "/"}, "internal.config.kubernetes.io/package-path"},
		{"relative package-path", []string{"internal.config.kubernetes.io/package-path", "../team-b"}, "internal.config.kubernetes.io/package-path"},
		{"package-path through a symlink", []string{"internal.config.kubernetes.io/package-path", filepath.Join(root, "link")}, "internal.config.kubernetes.io/package-path"},
		{"path through a symlink", []string{"internal.config.kubernetes.io/path", "link/clusterpair.yaml"}, "internal.config.kubernetes.io/path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, where := range []string{"functionConfig", "item"} {
				// plaintext: allow, so that only the location can refuse it.
				req := request("a", "app", "kubeconfig.yaml", tc.annotations...) + "  output:\n    plaintext: allow\n"
				input := resourceList(t, req)
				if where == "item" {
					input = resourceList(t, "", req)
				}
				var calls atomic.Int32
				var stdout, stderr bytes.Buffer
				p := &fn.Processor{Decryptor: countingDecryptor{testsops.NewDecryptor(), &calls}, Encryptor: testsops.NewEncryptor(), Root: root, Log: &stderr}
				err := fn.Run(p, bytes.NewReader(input), &stdout)
				if err == nil {
					t.Fatalf("%s: the render succeeded", where)
				}
				if !strings.Contains(stderr.String(), "metadata.annotations["+tc.field+"]") || !strings.Contains(stderr.String(), "ClusterPairRequest app/a") {
					t.Errorf("%s: the error does not name the request and the annotation:\n%s", where, stderr.String())
				}
				if n := calls.Load(); n != 0 {
					t.Errorf("%s: %d files were decrypted before the refusal", where, n)
				}
				if strings.Contains(stdout.String(), "kind: ClusterPair\n") {
					t.Errorf("%s: a ClusterPair was rendered", where)
				}
				assertNoSecrets(t, where+" stdout", stdout.String(), leaks)
				assertNoSecrets(t, where+" stderr", stderr.String(), leaks)
			}
		})
	}
}

// TestAnnotationsInsideTheRootStillLocateFiles: kpt's own annotations
// (package-path and a path relative to it) keep working inside the root.
func TestAnnotationsInsideTheRootStillLocateFiles(t *testing.T) {
	root, _ := sharedRepo(t)
	sub := filepath.Join(root, "pkgs", "pair")
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), sub)
	cases := [][]string{
		{"internal.config.kubernetes.io/package-path", sub, "internal.config.kubernetes.io/path", "clusterpair.yaml"},
		{"internal.config.kubernetes.io/path", "pkgs/pair/clusterpair.yaml"},
		{"config.kubernetes.io/path", "./pkgs/pair/clusterpair.yaml"},
		{"internal.config.kubernetes.io/package-path", root + "/pkgs/../pkgs/pair/"},
	}
	for _, annotations := range cases {
		req := request("a", "app", "kubeconfig.yaml", annotations...) + "  output:\n    plaintext: allow\n"
		rl, stderr, err := run(t, root, resourceList(t, req, req))
		if err != nil {
			t.Fatalf("%v: %v\n%s", annotations, err, stderr)
		}
		if got := countKind(rl, "ClusterPair"); got != 1 {
			t.Errorf("%v: %d ClusterPairs, want 1", annotations, got)
		}
	}
}

// TestMissingRootIsAnError: a root that does not exist fails the run with
// an error naming it, before any request is read.
func TestMissingRootIsAnError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: missing, Log: &stderr}
	err := fn.Run(p, bytes.NewReader(manyRequests(1)), &stdout)
	if err == nil || !strings.Contains(err.Error(), "opening the render root") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("error = %v, want the root named", err)
	}
	if stdout.Len() != 0 {
		t.Error("output was written")
	}
}
