//go:build lean

package fn_test

import (
	"bytes"
	"errors"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// leanBuild is whether these tests run in the lean build: it encrypts
// nothing itself (output.encrypt hands the run over).
const leanBuild = true

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

// TestRenderHandsOverToo: Render says that the lean build hands the run
// over, with the outcome so far (its loaded request), and without adding
// anything to the ResourceList; nothing is contacted.
func TestRenderHandsOverToo(t *testing.T) {
	srv := testvault.Start(t)
	dir := vaultDir(t, srv)
	rl, err := sdk.ParseResourceList(resourceList(t, request("a", "app", "vault-kubeconfig.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	p := &fn.Processor{Decryptor: testsops.NewDecryptorWithPolicy(allowVault(t, srv)), Root: dir}
	run, err := p.Render(rl)
	if !errors.Is(err, secrets.ErrNeedsFullSOPS) {
		t.Fatalf("err = %v, want a hand-over (ErrNeedsFullSOPS)", err)
	}
	if run == nil || len(run.Requests) != 1 || run.Requests[0].Loaded == nil || run.Requests[0].Output != nil {
		t.Errorf("outcome = %+v, want the loaded request and no output", run)
	}
	if len(rl.Results) != 0 || len(rl.Items) != 0 {
		t.Errorf("Render changed the ResourceList: %d results, %d items", len(rl.Results), len(rl.Items))
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}
