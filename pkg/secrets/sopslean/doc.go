// Package sopslean is the lean build's SOPS implementation of
// secrets.Decryptor and secrets.Encryptor. It decrypts age and PGP files
// with sops's own age and PGP key sources and package sopsfile's reader,
// and links no cloud KMS SDK (nor the sops library's key services), which
// cost most of a render's start-up. A file only the full library can
// decrypt, and every encryption, fail with an error matching
// secrets.ErrNeedsFullSOPS, after the operator's KeyPolicy has had its say,
// and the lean binary hands the run over to clusterpair-fn-full.
//
// Only the lean binary (built with -tags lean) imports it, through
// cmd/clusterpair-fn's edition_lean.go; the full binary uses package
// sopsfull instead.
package sopslean
