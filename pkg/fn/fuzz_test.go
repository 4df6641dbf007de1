package fn_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
)

// FuzzRun drives the whole function with arbitrary ResourceLists, in a
// directory holding the real fixtures and the demo key. It must never panic,
// print output for input it could not read, or render anything on failure.
func FuzzRun(f *testing.F) {
	testenv.UseDemoKey(f)
	dir := f.TempDir()
	testenv.CopyDir(f, testenv.Path("testdata", "secrets"), dir)
	cases, _ := filepath.Glob(testenv.Path("testdata", "golden", "*", "request.yaml"))
	for _, c := range cases {
		data, err := os.ReadFile(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n" + indent(string(data), "  ")))
	}
	f.Add([]byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"))
	dec := testsops.NewDecryptor()
	f.Fuzz(func(t *testing.T, input []byte) {
		var stdout, stderr bytes.Buffer
		p := &fn.Processor{Decryptor: dec, Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr}
		err := fn.Run(p, bytes.NewReader(input), &stdout)
		switch {
		case err == nil:
		case errors.Is(err, fn.ErrFailed):
			if rendered(stdout.Bytes()) > rendered(input) {
				t.Fatalf("a failed run rendered an object")
			}
		default:
			if stdout.Len() > 0 {
				t.Fatalf("output written for unreadable input: %v", err)
			}
		}
	})
}

// rendered counts the items of a ResourceList that clusterpair-fn renders.
func rendered(data []byte) int {
	rl, err := sdk.ParseResourceList(data)
	if err != nil {
		return 0
	}
	n := 0
	for _, it := range rl.Items {
		if it.GetLabel("app.kubernetes.io/managed-by") == "clusterpair-fn" {
			n++
		}
	}
	return n
}
