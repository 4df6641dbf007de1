package secrets_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestRepositoryCannotMakeTheRendererRunGPGPerKey (found by review;
// both builds): a SOPS file's key list is the repository's.
// Every PGP master key in it whose enc passes CheckPGPMessage is handed to
// sops, whose PGP key source falls back to running the gpg binary once per
// key. A 1 MiB file holds about 1,950 such keys (a 321-byte message to a
// throw-away key, repeated), so one referenced file starts about 1,950 gpg
// processes (measured: 10 s wall per file with the real gpg; 64 files, the
// default read budget, about 11 minutes and 125,000 processes per run),
// although the operator may not use PGP at all: SECURITY.md's "build starts
// no program" and "Bounded work per run" do not hold on any renderer with
// gpg installed (CI runners; a tenant with gnupgHome). sops never writes
// more than one key per recipient; a bound of a few keys per file (and
// gpg never run for a tenant or renderer without a PGP key) would hold.
func TestRepositoryCannotMakeTheRendererRunGPGPerKey(t *testing.T) {
	testenv.UseDemoKey(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "gpg-ran")
	gpg := filepath.Join(dir, "gpg")
	if err := os.WriteFile(gpg, []byte("#!/bin/sh\necho ran >> "+marker+"\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_GPG_EXEC", gpg)
	t.Setenv("GNUPGHOME", t.TempDir())
	data, err := os.ReadFile(secretstest.SrcFixture("kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	meta := doc["sops"].(map[string]any)
	delete(meta, "age")
	enc := encryptedKey(t)
	file := func(keys int) []byte {
		var list []any
		for range keys {
			list = append(list, map[string]any{"created_at": "2026-01-01T00:00:00Z", "enc": enc, "fp": "0123456789ABCDEF0123456789ABCDEF01234567"})
		}
		meta["pgp"] = list
		out, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	runs := func() int {
		ran, _ := os.ReadFile(marker)
		_ = os.Remove(marker)
		return bytes.Count(ran, []byte("ran\n"))
	}
	withSecretKey := t.TempDir()
	if err := os.MkdirAll(filepath.Join(withSecretKey, "private-keys-v1.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withSecretKey, "private-keys-v1.d", "stub.key"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		home      string
		keys      int
		files     int
		wantRuns  int
		wantError secrets.Reason
	}{
		{"more keys than a file is read with", withSecretKey, 200, 1, 0, secrets.ReasonTooLarge},
		{"a renderer with no PGP key never starts gpg", t.TempDir(), 32, 1, 0, secrets.ReasonNoKey},
		{"with a PGP key: once per key, at most 64 a run", withSecretKey, 32, 3, 64, secrets.ReasonNoKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GNUPGHOME", c.home)
			dec := testsops.NewDecryptor() // one run
			for range c.files {
				_, err := dec.Decrypt("kubeconfig.yaml", file(c.keys), secrets.FormatYAML)
				assertReason(t, err, c.wantError)
			}
			if n := runs(); n != c.wantRuns {
				t.Errorf("gpg started %d times, want %d", n, c.wantRuns)
			}
		})
	}
}

// TestRecipientsAreBounded: output.encrypt (the repository's) cannot name
// more recipients than a file is read with: each is a master key, and a
// PGP one starts gpg.
func TestRecipientsAreBounded(t *testing.T) {
	var pgp []string
	for i := range 33 {
		pgp = append(pgp, fmt.Sprintf("%040X", i))
	}
	err := secrets.EncryptOptions{Groups: []secrets.KeyGroup{{PGP: pgp}}}.CheckRecipients()
	assertReason(t, err, secrets.ReasonTooLarge)
	if err := (secrets.EncryptOptions{Groups: []secrets.KeyGroup{{PGP: pgp[:32]}}}).CheckRecipients(); err != nil {
		t.Errorf("32 recipients: %v", err)
	}
}
