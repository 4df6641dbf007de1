package sopsfile_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// TestFailures damages files in every way that matters and requires both
// libraries to refuse them, sopsfile with the right kind and without a
// decrypted value in its message.
func TestFailures(t *testing.T) {
	testenv.UseDemoKey(t)
	cli := newSOPSCLI(t)
	demo := recipientOf(t, testenv.DemoKeyFile())
	rich := cli.encrypt("rich.yaml", []byte(richYAML), nil, "--age", demo)
	regex := cli.encrypt("regex.yaml", []byte(richYAML), nil, "--age", demo, "--encrypted-regex", "^(data|stringData)$")
	macOnly := cli.encrypt("regex.yaml", []byte(richYAML), []string{"--mac-only-encrypted"}, "--age", demo, "--encrypted-regex", "^(data|stringData)$")
	secrets := richSecrets()

	encValue := regexp.MustCompile(`ENC\[AES256_GCM,data:[^\]]*type:str\]`)
	swapFirstTwo := func(t *testing.T, in []byte, re *regexp.Regexp) []byte {
		t.Helper()
		locs := re.FindAllIndex(in, 2)
		if len(locs) < 2 {
			t.Fatal("fewer than two matches")
		}
		a, b := in[locs[0][0]:locs[0][1]], in[locs[1][0]:locs[1][1]]
		var out []byte
		out = append(out, in[:locs[0][0]]...)
		out = append(out, b...)
		out = append(out, in[locs[0][1]:locs[1][0]]...)
		out = append(out, a...)
		return append(out, in[locs[1][1]:]...)
	}
	// Two items of one list share their key path (list positions are not
	// part of it), so swapping them decrypts: only the MAC notices.
	// (Comments inside a list are encrypted as list items of type comment,
	// which the MAC skips: they are not swapped here.)
	listItems := regexp.MustCompile(`(?m)^        - (ENC\[[^\]]*type:(?:str|int|float|bool)\])`)

	subKinds := map[string]error{
		"value changed":                  sopsfile.ErrValueUndecryptable,
		"values swapped between keys":    sopsfile.ErrValueUndecryptable,
		"list items swapped":             sopsfile.ErrMACMismatch,
		"mac replaced":                   sopsfile.ErrMACUndecryptable,
		"mac emptied":                    sopsfile.ErrMACMismatch,
		"lastmodified changed":           sopsfile.ErrMACUndecryptable,
		"value removed":                  sopsfile.ErrMACMismatch,
		"value decrypted in place":       sopsfile.ErrValueUndecryptable,
		"key renamed":                    sopsfile.ErrValueUndecryptable,
		"plaintext changed, default MAC": sopsfile.ErrMACMismatch,
	}
	cases := []struct {
		name  string
		data  []byte
		kind  error
		fails bool // the sops library fails too (else it succeeds and must agree)
	}{
		{"value changed", changeChar(t, rich, `(password: ENC\[AES256_GCM,data:)(.)`), sopsfile.ErrTampered, true},
		{"values swapped between keys", swapFirstTwo(t, rich, encValue), sopsfile.ErrTampered, true},
		{"list items swapped", swapListItems(t, rich, listItems), sopsfile.ErrTampered, true},
		{"mac replaced", changeChar(t, rich, `(mac: ENC\[AES256_GCM,data:)(.)`), sopsfile.ErrTampered, true},
		{"mac emptied", replaceOnce(t, rich, `mac: ENC\[[^\]]*\]`, `mac: ""`), sopsfile.ErrTampered, true},
		{"lastmodified changed", replaceOnce(t, rich, `lastmodified: "(\d{4})`, `lastmodified: "1999`), sopsfile.ErrTampered, true},
		{"value removed", replaceOnce(t, rich, `(?m)^    password: ENC.*\n`, ""), sopsfile.ErrTampered, true},
		{"value decrypted in place", replaceOnce(t, rich, `(?m)^    password: ENC.*$`, "    password: hunter2-unique-secret-1"), sopsfile.ErrTampered, true},
		{"key renamed", replaceOnce(t, rich, `(?m)^    password:`, "    passwort:"), sopsfile.ErrTampered, true},
		{"type changed", replaceOnce(t, rich, `(password: ENC\[[^\]]*type:)str`, "${1}int"), sopsfile.ErrTampered, true},
		{"unknown type", replaceOnce(t, rich, `(password: ENC\[[^\]]*type:)str`, "${1}blob"), sopsfile.ErrTampered, true},
		{"plaintext changed, default MAC", replaceOnce(t, regex, `name: demo`, "name: demo2"), sopsfile.ErrTampered, true},
		{"truncated", rich[:len(rich)/2], sopsfile.ErrNotEncrypted, true},
		{"cut inside the metadata", rich[:bytes.Index(rich, []byte("lastmodified"))], sopsfile.ErrMalformed, true},
		{"empty", nil, sopsfile.ErrNotEncrypted, true},
		{"only a comment", []byte("# nothing\n"), sopsfile.ErrMalformed, true},
		{"plaintext", []byte(richYAML), sopsfile.ErrNotEncrypted, true},
		{"not YAML", []byte("a: [\n"), sopsfile.ErrMalformed, true},
		{"sequence document", []byte("- a\n- b\n"), sopsfile.ErrMalformed, true},
		{"duplicate key", append([]byte("kind: x\n"), rich...), sopsfile.ErrMalformed, true},
		{"metadata not a mapping", []byte("a: b\nsops: 1\n"), sopsfile.ErrMalformed, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, fullErr, leanErr, _ := decryptBoth(t, c.data, sopsfile.YAML)
			if c.fails && fullErr == nil {
				t.Fatalf("the sops library accepts it")
			}
			requireKind(t, c.name, leanErr, c.kind, secrets...)
			if sub, ok := subKinds[c.name]; ok && !errors.Is(leanErr, sub) {
				t.Fatalf("error %q is not %q", leanErr, sub)
			}
		})
	}

	// mac_only_encrypted ignores plaintext changes (as kustomize and kpt
	// make them), in both libraries.
	t.Run("plaintext changed, mac only", func(t *testing.T) {
		changed := replaceOnce(t, macOnly, `name: demo`, "name: demo2")
		requireSame(t, "mac-only change", changed, sopsfile.YAML)
	})

	t.Run("wrong key", func(t *testing.T) {
		testenv.Isolate(t)
		t.Setenv("SOPS_AGE_KEY_FILE", testenv.OtherKeyFile())
		_, _, fullErr, leanErr, _ := decryptBoth(t, rich, sopsfile.YAML)
		if fullErr == nil {
			t.Fatal("sops decrypts with the wrong key")
		}
		requireKind(t, "wrong key", leanErr, sopsfile.ErrNoKey, secrets...)
	})
	t.Run("no key", func(t *testing.T) {
		testenv.Isolate(t)
		_, _, fullErr, leanErr, _ := decryptBoth(t, rich, sopsfile.YAML)
		if fullErr == nil {
			t.Fatal("sops decrypts without a key")
		}
		requireKind(t, "no key", leanErr, sopsfile.ErrNoKey, secrets...)
	})
	t.Run("key file unreadable", func(t *testing.T) {
		testenv.Isolate(t)
		t.Setenv("SOPS_AGE_KEY_FILE", t.TempDir()+"/missing.txt")
		_, err := sopsfile.NewDecryptor().Decrypt(rich, sopsfile.YAML)
		requireKind(t, "missing key file", err, sopsfile.ErrNoKey, secrets...)
	})
}

func swapListItems(t *testing.T, in []byte, re *regexp.Regexp) []byte {
	t.Helper()
	locs := re.FindAllSubmatchIndex(in, 2)
	if len(locs) < 2 {
		t.Fatal("fewer than two list items")
	}
	a, b := in[locs[0][2]:locs[0][3]], in[locs[1][2]:locs[1][3]]
	var out []byte
	out = append(out, in[:locs[0][2]]...)
	out = append(out, b...)
	out = append(out, in[locs[0][3]:locs[1][2]]...)
	out = append(out, a...)
	return append(out, in[locs[1][3]:]...)
}

// TestDecryptorKeepsIdentities shows the keyring reuses the identities it
// loaded (the key file is read once per recipient) and that a fresh
// Decryptor sees the environment anew.
func TestDecryptorKeepsIdentities(t *testing.T) {
	testenv.UseDemoKey(t)
	data := readFixture(t, "testdata", "secrets", "token.enc")
	d := sopsfile.NewDecryptor()
	if _, err := d.Decrypt(data, sopsfile.Binary); err != nil {
		t.Fatal(err)
	}
	testenv.Isolate(t) // the key is gone from the environment
	if _, err := d.Decrypt(data, sopsfile.Binary); err != nil {
		t.Fatalf("the loaded identity was not kept: %v", err)
	}
	_, err := sopsfile.NewDecryptor().Decrypt(data, sopsfile.Binary)
	requireKind(t, "fresh decryptor", err, sopsfile.ErrNoKey)
}

// TestParse reads plaintext files as the sops stores do.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		data   string
		format sopsfile.Format
		key    string
		want   string
	}{
		{"a: b\nc: 1\n", sopsfile.YAML, "c", "1"},
		{`{"a": "b", "c": 2}`, sopsfile.JSON, "c", "2"},
		{"A=1\nB=x\\ny\n", sopsfile.Dotenv, "B", "x\ny"},
		{"raw bytes", sopsfile.Binary, "data", "raw bytes"},
		{"raw bytes", "yml", "data", "raw bytes"},
	} {
		doc, err := sopsfile.Parse([]byte(c.data), c.format)
		if err != nil {
			t.Fatalf("%q: %v", c.data, err)
		}
		v, ok := doc.Branches[0].Get(c.key)
		s, _ := sopsfile.ScalarText(v)
		if !ok || s != c.want {
			t.Errorf("%q: %s = %v, want %q", c.data, c.key, v, c.want)
		}
	}
	doc, err := sopsfile.Parse([]byte("[s]\nk = v\n"), sopsfile.INI)
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := doc.Branches[0].Get("s")
	if v, _ := sec.(sopsfile.Mapping).Get("k"); v != "v" {
		t.Fatalf("ini s.k = %v", v)
	}
}

// TestEncodeYAML covers the sub-tree encoding a key lookup uses.
func TestEncodeYAML(t *testing.T) {
	doc, err := sopsfile.Parse([]byte("m:\n  a: 1\n  b: [x, z]\nl:\n  - 1\n  - two\n"), sopsfile.YAML)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := doc.Branches[0].Get("m")
	out, err := sopsfile.EncodeYAML(m)
	if err != nil || string(out) != "a: 1\nb:\n    - x\n    - z\n" {
		t.Fatalf("mapping: %q %v", out, err)
	}
	l, _ := doc.Branches[0].Get("l")
	out, err = sopsfile.EncodeYAML(l)
	if err != nil || string(out) != "- 1\n- two\n" {
		t.Fatalf("list: %q %v", out, err)
	}
}

// TestConcurrentDecrypt shares one Decryptor between goroutines, as a
// renderer working on several requests at once would (run with -race).
func TestConcurrentDecrypt(t *testing.T) {
	testenv.UseDemoKey(t)
	kubeconfig := readFixture(t, "testdata", "secrets", "kubeconfig.yaml")
	token := readFixture(t, "testdata", "secrets", "token.enc")
	want, err := sopsfile.NewDecryptor().Decrypt(kubeconfig, sopsfile.YAML)
	if err != nil {
		t.Fatal(err)
	}
	wantText, _ := want.Plaintext()
	d := sopsfile.NewDecryptor()
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			data, format := kubeconfig, sopsfile.YAML
			if i%2 == 1 {
				data, format = token, sopsfile.Binary
			}
			doc, err := d.Decrypt(data, format)
			if err == nil && format == sopsfile.YAML {
				var got []byte
				if got, err = doc.Plaintext(); err == nil && !bytes.Equal(got, wantText) {
					err = errors.New("different plaintext")
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
