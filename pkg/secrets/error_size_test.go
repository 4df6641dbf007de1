package secrets_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestNoKeyErrorIsBounded (found by review; fails today, both
// builds): the "no usable decryption key" error lists every master key of
// the file, and the list is the repository's. A 1 MiB file of 12,976
// "{recipient: age1q...N, enc: x}" entries made `build` print 1.4 MB of
// stderr (once per reference to the file); 64 such files, tens of MB, which
// Argo CD stores as the Application's condition message (etcd refuses
// objects over 1.5 MiB) and caches in Redis. Context names are capped at 20
// (SECURITY.md "Limits"); key lists are not.
func TestNoKeyErrorIsBounded(t *testing.T) {
	testenv.UseDemoKey(t)
	var b strings.Builder
	b.WriteString("token: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops:\n    age:\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "        - {recipient: age1%s%d, enc: x}\n", strings.Repeat("q", 40), i)
	}
	b.WriteString("    lastmodified: \"2026-11-21T23:49:49Z\"\n    mac: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n    version: 3.13.3\n")
	_, err := testsops.NewDecryptor().Decrypt("token.yaml", []byte(b.String()), secrets.FormatYAML)
	if err == nil {
		t.Fatal("decrypted")
	}
	if n := len(err.Error()); n > 16<<10 {
		t.Errorf("the error about one %d-byte file is %d bytes long (it lists every key the repository wrote)", b.Len(), n)
	}
}
