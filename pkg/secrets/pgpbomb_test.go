package secrets_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// These tests run in both builds. A PGP master key's "enc" is the
// repository's: a compressed message that needs no key made gpg -d (sops's
// fallback) unpack gigabytes from a few kilobytes.

// compressedBomb is an armored PGP message that is only compressed data: n
// zero bytes in a literal packet, zlib-compressed, encrypted to no one.
func compressedBomb(t *testing.T, n int) string {
	t.Helper()
	var out bytes.Buffer
	w, err := armor.Encode(&out, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	cw, err := packet.SerializeCompressed(w, packet.CompressionZLIB, &packet.CompressionConfig{Level: 9})
	if err != nil {
		t.Fatal(err)
	}
	lw, err := packet.SerializeLiteral(cw, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []interface{ Close() error }{lw, cw, w} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

// encryptedKey is what sops writes: a 32-byte key encrypted to a PGP key
// generated here (whose private key nobody here holds).
func encryptedKey(t *testing.T) string {
	t.Helper()
	entity, err := openpgp.NewEntity("test", "", "test@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := armor.Encode(&out, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := openpgp.Encrypt(w, []*openpgp.Entity{entity}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Write(bytes.Repeat([]byte{7}, 32)); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// pgpOnly rewrites a SOPS YAML file so that its only master key is a PGP
// key with the given enc.
func pgpOnly(t *testing.T, data []byte, enc string) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	meta := doc["sops"].(map[string]any)
	delete(meta, "age")
	meta["pgp"] = []any{map[string]any{"created_at": "2026-01-01T00:00:00Z", "enc": enc, "fp": "0123456789ABCDEF0123456789ABCDEF01234567"}}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPGPMessagesAreCheckedBeforeDecryption: a PGP "enc" that is not
// public-key-encrypted session keys plus small encrypted data never reaches
// gpg (a stand-in records every call), while one shaped as sops writes it
// does.
func TestPGPMessagesAreCheckedBeforeDecryption(t *testing.T) {
	testenv.UseDemoKey(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "gpg-ran")
	gpg := filepath.Join(dir, "gpg")
	if err := os.WriteFile(gpg, []byte("#!/bin/sh\necho ran >> "+marker+"\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_GPG_EXEC", gpg)
	// A home with a secret key: gpg is tried only then.
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "private-keys-v1.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "private-keys-v1.d", "stub.key"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GNUPGHOME", home)
	data, err := os.ReadFile(secretstest.SrcFixture("kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		enc     string
		gpgRuns bool
	}{
		{"compressed data needing no key (a bomb)", compressedBomb(t, 1<<20), false},
		{"not armored", "hello", false},
		{"a key as sops writes it", encryptedKey(t), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(marker)
			_, err := testsops.NewDecryptor().Decrypt("kubeconfig.yaml", pgpOnly(t, data, tc.enc), secrets.FormatYAML)
			if err == nil {
				t.Fatal("decrypted without a key")
			}
			_, statErr := os.Stat(marker)
			if ran := statErr == nil; ran != tc.gpgRuns {
				t.Errorf("gpg ran = %v, want %v (error: %v)", ran, tc.gpgRuns, err)
			}
			if strings.Contains(err.Error(), "BEGIN PGP") {
				t.Error("the error quotes the message")
			}
		})
	}
}

func TestCheckPGPMessageBounds(t *testing.T) {
	if err := sopsfile.CheckPGPMessage(encryptedKey(t)); err != nil {
		t.Errorf("a key as sops writes it: %v", err)
	}
	if err := sopsfile.CheckPGPMessage(compressedBomb(t, 10)); err == nil || !strings.Contains(err.Error(), "packet of type 8") {
		t.Errorf("a compressed message: %v", err)
	}
}
