// Package secrets resolves the secret references of a ClusterPairRequest: it
// locates each referenced file under the request's directory (refusing
// absolute paths, ".." escapes, symlinks leading out, non-regular and oversized
// files), checks that it is SOPS-encrypted, decrypts it through a Decryptor,
// and extracts the referenced key. It also says what encrypting takes
// (Encryptor, EncryptOptions, FileEncryptOptions) and which network key
// sources may be contacted (KeyPolicy).
//
// The SOPS implementations of Decryptor and Encryptor live in two packages,
// and the program picks one by what it imports: sopsfull (the sops library
// with every key source, cloud KMS SDKs included; the full build) and
// sopslean (age and PGP through package sopsfile; the lean build). This
// package links neither the sops library's key services nor any cloud SDK.
// Errors never carry decrypted content: they are built from file paths, key
// paths and public key identifiers only.
package secrets
