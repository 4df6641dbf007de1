//go:build lean

package fn_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestAllowedVaultIsHandedOver: the lean function hands a file naming an
// allowed Vault over to the full build (writing nothing), having contacted
// nothing itself.
func TestAllowedVaultIsHandedOver(t *testing.T) {
	srv := testvault.Start(t)
	dir := vaultDir(t, srv)
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptorWithPolicy(allowVault(t, srv)), Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr}
	err := fn.Run(p, bytes.NewReader(resourceList(t, request("a", "app", "vault-kubeconfig.yaml"))), &stdout)
	if !errors.Is(err, secrets.ErrNeedsFullSOPS) {
		t.Fatalf("err = %v, want a hand-over (ErrNeedsFullSOPS)\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("a handed-over run wrote:\n%s\n%s", stdout.String(), stderr.String())
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}
