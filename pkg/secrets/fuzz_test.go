package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// FuzzRootReadFile resolves arbitrary relative paths in a root that holds a
// file, a subdirectory and symlinks leading out. Whatever ReadFile returns
// must come from inside the root.
func FuzzRootReadFile(f *testing.F) {
	for _, p := range []string{"inside.txt", "sub/inside.txt", "out", "sub/../inside.txt", "../outside.txt", "/etc/passwd", "loop", "sub/out", "./inside.txt", "", "sub//inside.txt", "inside.txt/..", "a\x00b"} {
		f.Add(p)
	}
	base := f.TempDir()
	rootDir := filepath.Join(base, "root")
	must := func(err error) {
		if err != nil {
			f.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(rootDir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(base, "outside.txt"), []byte("OUTSIDE-CANARY"), 0o644))
	must(os.WriteFile(filepath.Join(rootDir, "inside.txt"), []byte("inside"), 0o644))
	must(os.WriteFile(filepath.Join(rootDir, "sub", "inside.txt"), []byte("inside"), 0o644))
	must(os.Symlink(filepath.Join(base, "outside.txt"), filepath.Join(rootDir, "out")))
	must(os.Symlink("../../outside.txt", filepath.Join(rootDir, "sub", "out")))
	must(os.Symlink("loop", filepath.Join(rootDir, "loop")))
	root, err := OpenRoot(rootDir)
	must(err)
	f.Cleanup(func() { root.Close() })
	f.Fuzz(func(t *testing.T, rel string) {
		data, err := root.ReadFile(rel)
		if err == nil && bytes.Contains(data, []byte("OUTSIDE-CANARY")) {
			t.Fatalf("%q read a file outside the root", rel)
		}
		if err != nil && ReasonOf(err) == "" {
			t.Fatalf("%q: unclassified error %v", rel, err)
		}
	})
}

// FuzzLookup looks up arbitrary key paths in a decrypted document: no panic,
// and a failure never quotes a value of the document.
func FuzzLookup(f *testing.F) {
	for _, k := range []string{"portworx.token", "a.b.0.c", "list.1", "list.-1", "list.99999999999999999999", "a..b", ".", "x", "list.0.name", "portworx"} {
		f.Add(k)
	}
	const doc = "portworx:\n  token: VALUE-CANARY-1\nlist:\n  - name: first\n    secret: VALUE-CANARY-2\n  - VALUE-CANARY-3\na:\n  b:\n    - c: VALUE-CANARY-4\n"
	parsed, err := sopsfile.Parse([]byte(doc), sopsfile.YAML)
	if err != nil {
		f.Fatal(err)
	}
	d := NewDocument(FormatYAML, parsed.Branches, parsed.Plaintext)
	f.Fuzz(func(t *testing.T, key string) {
		_, err := d.Lookup("doc.yaml", key)
		if err != nil && strings.Contains(err.Error(), "VALUE-CANARY") {
			t.Fatalf("lookup error quotes a value: %v", err)
		}
	})
}
