// Package sopsfile reads SOPS-encrypted files (YAML, JSON, dotenv, INI and
// binary, as written by sops v3) without the sops library's cloud key
// services, so that a program using it starts as fast as one without sops.
//
// It parses the file as sops does, recovers the data key with sops's own age
// and PGP key sources (github.com/getsops/sops/v3/age and /pgp, which find
// keys exactly where the sops CLI does) and, for several key groups, sops's
// Shamir secret sharing; then it decrypts every value (AES-256-GCM with the
// key path as additional data) and verifies the MAC, honouring
// mac_only_encrypted and the encrypted/unencrypted suffix, regex and comment
// rules. The result is an ordered tree of the file and, through Plaintext,
// the same bytes `sops decrypt` prints.
//
// Files whose data key needs another key source (AWS, GCP or HuaweiCloud
// KMS, Azure Key Vault, HashiCorp Vault) give ErrNeedsFullSOPS: the caller
// hands them to the full library. This package must never import the sops
// root package, aes, stores, keyservice, decrypt, cmd/sops/common or config
// (a test checks that, and that no cloud SDK is linked).
//
// Errors never contain decrypted data: they carry fixed text, positions, key
// paths (cleartext in a SOPS file) and public key identifiers.
package sopsfile
