// Package sopsfull is the full build's SOPS implementation of
// secrets.Decryptor and secrets.Encryptor: the sops library with every key
// source it has (age, PGP, AWS, GCP and HuaweiCloud KMS, Azure Key Vault,
// HashiCorp Vault), the creation rules of .sops.yaml, and the KeyPolicy
// checks that keep the sops library from contacting a network key source
// the operator has not allowed (FilterKeyGroups, CheckKeyGroups).
//
// It links the cloud KMS SDKs: only the full binary (clusterpair-fn-full,
// built without the lean tag) imports it, through cmd/clusterpair-fn's
// edition_full.go, and so does pkg/rekey, which only the full binary runs.
// The lean binary uses package sopslean instead.
package sopsfull
