package fn_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// manyRequests is a ResourceList of n requests as items.
func manyRequests(n int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i := range n {
		fmt.Fprintf(&b, "- apiVersion: fn.clusterpair.dev/v1alpha1\n  kind: ClusterPairRequest\n  metadata:\n    name: p%d\n    namespace: app\n  spec:\n    mode: async-dr\n    destination:\n      kubeconfig:\n        file: kubeconfig.yaml\n    storage:\n      ip: px.example.com\n      token:\n        file: token.enc\n", i)
	}
	return []byte(b.String())
}

// TestRequestLimit: an input with more requests than the limit is refused
// before any is decoded, with a message naming the limit and how to raise
// it; raising it renders them.
func TestRequestLimit(t *testing.T) {
	dir := fixtureDir(t)
	cases := []struct {
		name     string
		requests int
		limits   secrets.Limits
		wantErr  bool
	}{
		{"one over the default", secrets.DefaultMaxRequests + 1, secrets.Limits{}, true},
		{"one over a raised limit", 11, secrets.Limits{MaxRequests: 10}, true},
		{"at the limit", 10, secrets.Limits{MaxRequests: 10}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr, Limits: tc.limits}
			err := fn.Run(p, bytes.NewReader(manyRequests(tc.requests)), &stdout)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("run: %v\n%s", err, stderr.String())
				}
				if n := strings.Count(stdout.String(), "kind: ClusterPair\n"); n != tc.requests {
					t.Errorf("%d pairs rendered, want %d", n, tc.requests)
				}
				return
			}
			if err == nil {
				t.Fatal("the render succeeded")
			}
			limit := tc.limits.MaxRequests
			if limit == 0 {
				limit = secrets.DefaultMaxRequests
			}
			want := fmt.Sprintf("holds %d ClusterPairRequests; one run renders at most %d (raise it with --max-requests or CLUSTERPAIR_FN_MAX_REQUESTS", tc.requests, limit)
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr does not explain the limit:\n%s", stderr.String())
			}
			if strings.Contains(stdout.String(), "kind: ClusterPair\n") {
				t.Error("a pair was rendered")
			}
		})
	}
}

// TestReadBudget: the bytes read from referenced files, all together, are
// bounded; the error names the file, the limit and how to raise it.
func TestReadBudget(t *testing.T) {
	dir := fixtureDir(t)
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr, Limits: secrets.Limits{MaxReadBytes: 100}}
	err := fn.Run(p, bytes.NewReader(manyRequests(1)), &stdout)
	if err == nil {
		t.Fatal("the render succeeded")
	}
	for _, want := range []string{`file "kubeconfig.yaml"`, "over the limit of 100", "--max-read-bytes or CLUSTERPAIR_FN_MAX_READ_BYTES"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestInputNodeLimit: a ResourceList small in bytes but huge in YAML nodes
// (which take about a kilobyte each once parsed) is refused before it is
// parsed, naming the limit.
func TestInputNodeLimit(t *testing.T) {
	input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: junk\n  data:\n    junk: [" + strings.Repeat("a,", secrets.MaxInputSeparators) + "a]\n"
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: t.TempDir(), Log: &stderr}
	err := fn.Run(p, strings.NewReader(input), &stdout)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the limit is %d", secrets.MaxInputSeparators)) {
		t.Fatalf("error = %v, want the separator limit", err)
	}
	if stdout.Len() != 0 {
		t.Error("output was written")
	}
}
