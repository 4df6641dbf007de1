package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestCheckLimitsTheWholeRun: check renders each request as a run of its
// own, but its limits hold for the whole check: the requests found, and
// the bytes all of them read together.
func TestCheckLimitsTheWholeRun(t *testing.T) {
	testenv.UseDemoKey(t)
	root := t.TempDir()
	for i := range 3 {
		writePair(t, filepath.Join(root, fmt.Sprintf("p%d", i)), pairSpec{name: fmt.Sprintf("p%d", i), server: "https://dst.example.com:6443", token: "tok", pxIP: "px.example.com", pxPort: 9001, pxToken: "px"})
	}
	dec := testsops.NewDecryptor()
	if _, err := Run(context.Background(), Options{Paths: []string{root}, Decryptor: dec, Limits: secrets.Limits{MaxRequests: 2}}); err == nil || !strings.Contains(err.Error(), "found 3 ClusterPairRequests") || !strings.Contains(err.Error(), "at most 2") {
		t.Errorf("error = %v, want the request limit", err)
	}
	one, err := Run(context.Background(), Options{Paths: []string{filepath.Join(root, "p0")}, Decryptor: dec})
	if err != nil || one.Failed() {
		t.Fatalf("one pair: %v %+v", err, one)
	}
	// A budget that one pair's files fit in, but not three pairs' files.
	perPair := int64(0)
	for _, f := range []string{"destination-kubeconfig.yaml", "px-token.enc"} {
		perPair += fileSize(t, filepath.Join(root, "p0", f))
	}
	r, err := Run(context.Background(), Options{Paths: []string{root}, Decryptor: dec, Limits: secrets.Limits{MaxReadBytes: perPair * 2}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Failed() {
		t.Fatal("three pairs read more than the budget of two, and the check passed")
	}
	if got := r.Pairs[2].Findings; len(got) == 0 || !strings.Contains(got[0].Message, "over the limit of") {
		t.Errorf("the third pair's findings = %+v, want the read budget", got)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// TestFindBoundsWhatItParses: a file that mentions the kind but holds more
// YAML nodes than one run of the function may parse is reported, unparsed.
func TestFindBoundsWhatItParses(t *testing.T) {
	dir := t.TempDir()
	doc := "kind: ClusterPairRequest\njunk: [" + strings.Repeat("a,", secrets.MaxInputSeparators) + "a]\n"
	if err := os.WriteFile(filepath.Join(dir, "bomb.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	requests, err := Find([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(requests) != 1 || !strings.Contains(requests[0].Problem, fmt.Sprintf("the limit is %d", secrets.MaxInputSeparators)) {
		t.Errorf("requests = %+v, want one problem naming the limit", requests)
	}
}
