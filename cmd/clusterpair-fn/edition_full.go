//go:build !lean

package main

import (
	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopslean"
)

// The full build's SOPS implementation is the sops library (package
// sopsfull), with every key source; importing it here (and pkg/rekey, which
// only this build's rekey.go links) is what links the cloud KMS SDKs.

// newKeys returns the full build's decryptor under the operator's policy,
// confined to a tenant's keys when one is given, and its encryptor.
func newKeys(p secrets.KeyPolicy, tenant *secrets.TenantKeys) (secrets.Decryptor, secrets.Encryptor, error) {
	d, err := newFullDecryptor(p, tenant)
	return d, sopsfull.NewEncryptor(), err
}

func newFullDecryptor(p secrets.KeyPolicy, tenant *secrets.TenantKeys) (secrets.Decryptor, error) {
	d, err := sopsfull.NewDecryptor().WithKeyPolicy(p).WithTenantKeys(tenant)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// editionCommands are the full build's hidden commands: the co-process the
// lean build hands files and encryption to (sopslean.Serve), under the
// policy and tenant keys each call carries.
func editionCommands() []*cobra.Command {
	return []*cobra.Command{{
		Use:    sopslean.ServeCommand,
		Short:  "internal: decrypt and encrypt for the lean build over stdin and stdout",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sopslean.Serve(cmd.InOrStdin(), cmd.OutOrStdout(), sopslean.Full{NewDecryptor: newFullDecryptor, Encryptor: sopsfull.NewEncryptor()})
		},
	}}
}
