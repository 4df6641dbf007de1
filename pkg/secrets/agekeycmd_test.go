package secrets_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestRepositoryCannotRunTheKeyCommandPerRecipient (found by review;
// both builds): on a renderer without a tenant map that takes
// its age key from SOPS_AGE_KEY_CMD (a documented key source: typically a
// vault, 1Password or cloud CLI, i.e. a program and a network call), every
// age master key a repository file lists loads the identities again (the
// lean build once per distinct recipient string, the full build once per
// key), so the operator's command runs once per key with the repository's
// recipient text, unchecked, in SOPS_AGE_RECIPIENT. 81 KB of metadata
// ("- {recipient: age1xN, enc: x}" 2,000 times) ran it 2,000 times (7.8 s);
// a 1 MiB file about 25,000 times, and the read budget allows 64 of them.
func TestRepositoryCannotRunTheKeyCommandPerRecipient(t *testing.T) {
	testenv.Isolate(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "ran")
	cmd := filepath.Join(dir, "keycmd")
	key, err := os.ReadFile(testenv.OtherKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nprintf '%s\\n' \"$SOPS_AGE_RECIPIENT\" >> " + log + "\ncat <<'K'\n" + string(key) + "K\n"
	if err := os.WriteFile(cmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_AGE_KEY_CMD", cmd)
	var b strings.Builder
	b.WriteString("token: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops:\n    age:\n")
	const keys = 100
	for i := range keys {
		fmt.Fprintf(&b, "        - {recipient: \"age1x%d;$(id)\", enc: x}\n", i)
	}
	b.WriteString("    lastmodified: \"2026-11-21T23:49:49Z\"\n    mac: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n    version: 3.13.3\n")
	if _, err := testsops.NewDecryptor().Decrypt("token.yaml", []byte(b.String()), secrets.FormatYAML); err == nil {
		t.Fatal("decrypted")
	}
	ran, _ := os.ReadFile(log)
	if n := bytes.Count(ran, []byte("\n")); n > 1 {
		t.Errorf("one %d-byte repository file ran the operator's SOPS_AGE_KEY_CMD %d times, with SOPS_AGE_RECIPIENT set to the repository's text (first: %q)", b.Len(), n, strings.SplitN(string(ran), "\n", 2)[0])
	}
}
