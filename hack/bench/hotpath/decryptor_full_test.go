//go:build !lean

package hotpath_test

import "github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"

// The default build's decryptor: the full sops library.
const decryptorName = "sops-library"

func newDecryptor() secrets.Decryptor { return secrets.NewSOPSDecryptor() }
