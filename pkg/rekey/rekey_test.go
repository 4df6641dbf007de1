package rekey

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// sopsDecrypt decrypts path with the sops CLI and only keyFile's key.
func sopsDecrypt(t *testing.T, path, keyFile string) ([]byte, error) {
	t.Helper()
	return testenv.SOPSDecrypt(t, path, "SOPS_AGE_KEY_FILE="+keyFile)
}

// pairDir copies the kustomize example (encrypted to the demo key) and
// points its .sops.yaml at the recipients given.
func pairDir(t *testing.T, recipients ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pair")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), dir)
	writeSOPSConfig(t, dir, recipients...)
	return dir
}

func writeSOPSConfig(t *testing.T, dir string, recipients ...string) {
	t.Helper()
	conf := "creation_rules:\n  - path_regex: .*\n    age: " + strings.Join(recipients, ",") + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

var encryptedFiles = []string{"destination-kubeconfig.yaml", "px-token.enc"}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range encryptedFiles {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = data
	}
	return out
}

// TestRekeyRotatesToTheNewKey rotates .sops.yaml from the demo key to
// another one: after rekey the sops CLI decrypts every referenced file
// with the new key, to the same plaintext, and no longer with the removed
// one; the report names both; a second run changes nothing.
func TestRekeyRotatesToTheNewKey(t *testing.T) {
	testenv.UseDemoKey(t)
	demo, other := testenv.Recipient(t, testenv.DemoKeyFile()), testenv.Recipient(t, testenv.OtherKeyFile())
	dir := pairDir(t, other)
	plain := map[string][]byte{}
	for _, f := range encryptedFiles {
		p, err := sopsDecrypt(t, filepath.Join(dir, f), testenv.DemoKeyFile())
		if err != nil {
			t.Fatalf("the example does not decrypt with the demo key: %v", err)
		}
		plain[f] = p
	}

	changes, err := Run(Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != len(encryptedFiles) {
		t.Fatalf("got %d changes, want one per referenced file: %+v", len(changes), changes)
	}
	for i, c := range changes {
		if want := filepath.Join(dir, encryptedFiles[i]); c.Path != want {
			t.Errorf("change %d is for %s, want %s", i, c.Path, want)
		}
		if !reflect.DeepEqual(c.Added, []string{"age " + other}) || !reflect.DeepEqual(c.Removed, []string{"age " + demo}) {
			t.Errorf("%s: added %v, removed %v; want the other key added and the demo key removed", c.Path, c.Added, c.Removed)
		}
		if len(c.By) != 1 || !strings.HasPrefix(c.By[0], "app/dr-west spec.") {
			t.Errorf("%s: referenced by %v, want the request and its field", c.Path, c.By)
		}
	}
	for _, f := range encryptedFiles {
		path := filepath.Join(dir, f)
		got, err := sopsDecrypt(t, path, testenv.OtherKeyFile())
		if err != nil {
			t.Errorf("%s does not decrypt with the new key: %v", f, err)
		} else if !bytes.Equal(got, plain[f]) {
			t.Errorf("%s decrypts with the new key to other content", f)
		}
		if _, err := sopsDecrypt(t, path, testenv.DemoKeyFile()); err == nil {
			t.Errorf("%s still decrypts with the removed key", f)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".rekey-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	before := readAll(t, dir)
	t.Setenv("SOPS_AGE_KEY_FILE", testenv.OtherKeyFile())
	again, err := Run(Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range again {
		if c.Changed() {
			t.Errorf("second run changed %s: %+v", c.Path, c)
		}
	}
	if !reflect.DeepEqual(readAll(t, dir), before) {
		t.Error("a run with nothing to change rewrote files")
	}
}

// TestRekeyAddsARecipient keeps the old key and adds one: both decrypt.
func TestRekeyAddsARecipient(t *testing.T) {
	testenv.UseDemoKey(t)
	demo, other := testenv.Recipient(t, testenv.DemoKeyFile()), testenv.Recipient(t, testenv.OtherKeyFile())
	dir := pairDir(t, demo, other)
	changes, err := Run(Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if len(c.Removed) != 0 || !reflect.DeepEqual(c.Added, []string{"age " + other}) {
			t.Errorf("%s: added %v removed %v", c.Path, c.Added, c.Removed)
		}
	}
	for _, f := range encryptedFiles {
		for _, key := range []string{testenv.DemoKeyFile(), testenv.OtherKeyFile()} {
			if _, err := sopsDecrypt(t, filepath.Join(dir, f), key); err != nil {
				t.Errorf("%s does not decrypt with %s: %v", f, filepath.Base(key), err)
			}
		}
	}
}

// TestRekeyDryRunWritesNothing needs no key and changes no file.
func TestRekeyDryRunWritesNothing(t *testing.T) {
	testenv.Isolate(t) // no key at all
	dir := pairDir(t, testenv.Recipient(t, testenv.OtherKeyFile()))
	before := readAll(t, dir)
	changes, err := Run(Options{Dirs: []string{dir}, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || !changes[0].Changed() || !changes[1].Changed() {
		t.Errorf("dry run reports %+v, want both files to change", changes)
	}
	if !reflect.DeepEqual(readAll(t, dir), before) {
		t.Error("dry run rewrote files")
	}
}

// TestRekeyErrors: every error names the file or request and field, leaves
// the files as they were and holds no secret.
func TestRekeyErrors(t *testing.T) {
	secretsInExample := []string{"px-demo", "BEGIN", "token:"}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		key   string // SOPS_AGE_KEY_FILE; "" for none
		want  []string
	}{
		{name: "no key for the data key", key: "",
			want: []string{"destination-kubeconfig.yaml", "app/dr-west spec.destination.kubeconfig", "cannot decrypt its data key", "age age1"}},
		{name: "reference out of the directory", key: testenv.DemoKeyFile(), setup: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "clusterpair.yaml"), "file: px-token.enc", "file: ../outside.enc")
			if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.enc"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"clusterpair.yaml (request app/dr-west)", `spec.storage.token.file "../outside.enc"`, "leads out of the directory"}},
		{name: "symlink out of the directory", key: testenv.DemoKeyFile(), setup: func(t *testing.T, dir string) {
			outside := filepath.Join(filepath.Dir(dir), "elsewhere.enc")
			if err := os.WriteFile(outside, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, "px-token.enc")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, filepath.Join(dir, "px-token.enc")); err != nil {
				t.Fatal(err)
			}
		}, want: []string{`spec.storage.token.file "px-token.enc"`, "leads out of the directory"}},
		{name: "missing file", key: testenv.DemoKeyFile(), setup: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "clusterpair.yaml"), "file: px-token.enc", "file: gone.enc")
		}, want: []string{`spec.storage.token.file "gone.enc"`, "no such file"}},
		{name: "not encrypted", key: testenv.DemoKeyFile(), setup: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "px-token.enc"), []byte("px-demo-plain\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"px-token.enc", "not a SOPS-encrypted binary"}},
		{name: "no sops configuration", key: testenv.DemoKeyFile(), setup: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, ".sops.yaml")); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"destination-kubeconfig.yaml", "no .sops.yaml"}},
		{name: "request does not decode", key: testenv.DemoKeyFile(), setup: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "clusterpair.yaml"), "spec:", "spec: [")
		}, want: []string{"clusterpair.yaml", "not valid YAML"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testenv.Isolate(t)
			if c.key != "" {
				t.Setenv("SOPS_AGE_KEY_FILE", c.key)
			}
			dir := pairDir(t, testenv.Recipient(t, testenv.OtherKeyFile()))
			if c.setup != nil {
				c.setup(t, dir)
			}
			before := snapshot(t, dir)
			_, err := Run(Options{Dirs: []string{dir}})
			if err == nil {
				t.Fatal("rekey succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, s := range secretsInExample {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains %q", err, s)
				}
			}
			if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
				t.Error("a failed rekey changed the directory")
			}
		})
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot reads every regular file of dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(data)
	}
	return out
}

// TestRekeyOverlappingDirectories rekeys a file found twice only once.
func TestRekeyOverlappingDirectories(t *testing.T) {
	testenv.UseDemoKey(t)
	dir := pairDir(t, testenv.Recipient(t, testenv.OtherKeyFile()))
	changes, err := Run(Options{Dirs: []string{dir, filepath.Join(dir, ".")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Errorf("got %d changes for two files: %+v", len(changes), changes)
	}
}
