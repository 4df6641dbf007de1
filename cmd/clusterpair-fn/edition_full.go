//go:build !lean

package main

import (
	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// The full build's SOPS implementation is the sops library (package
// sopsfull), with every key source; importing it here (and pkg/rekey, which
// only this build's rekey.go links) is what links the cloud KMS SDKs.

// newDecryptor returns the full build's decryptor under the operator's
// policy, confined to a tenant's keys when one is given.
func newDecryptor(p secrets.KeyPolicy, tenant *secrets.TenantKeys) (secrets.Decryptor, error) {
	d, err := sopsfull.NewDecryptor().WithKeyPolicy(p).WithTenantKeys(tenant)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// newEncryptor returns the full build's encryptor.
func newEncryptor() secrets.Encryptor { return sopsfull.NewEncryptor() }

// handOver is never needed by the full build: it has every key source.
func handOver(_ *cobra.Command, _ []byte, err error) error { return err }
