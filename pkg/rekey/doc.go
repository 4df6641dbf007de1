// Package rekey re-encrypts the SOPS files that ClusterPairRequests
// reference to the recipients the .sops.yaml creation rules name today,
// the way `sops updatekeys` does: the file's data key is decrypted with the
// keys found in the environment (it only ever exists in memory), encrypted
// anew to every master key of the matching creation rule, and the file is
// rewritten with the same ciphertext and MAC and the new key list. No
// value is decrypted and no plaintext is written. It is the step after a
// key rotation or after someone leaves the team.
//
// It is full-only: it works on the sops library's trees and key groups and
// keeps them within the operator's KeyPolicy with package sopsfull. Only
// the full binary links it (cmd/clusterpair-fn/rekey.go is built without
// the lean tag); it needs no build tag of its own.
package rekey
