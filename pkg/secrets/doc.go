// Package secrets resolves the secret references of a ClusterPairRequest: it
// locates each referenced file under the request's directory (refusing
// absolute paths, ".." escapes, symlinks leading out, non-regular and oversized
// files), checks that it is SOPS-encrypted, decrypts it through a Decryptor,
// and extracts the referenced key.
//
// Callers see only Resolver, Decryptor and Value; sops types stay inside this
// package. Errors never carry decrypted content: they are built from file
// paths, key paths and public key identifiers only.
package secrets
