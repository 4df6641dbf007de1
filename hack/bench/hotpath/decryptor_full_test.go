//go:build !lean

package hotpath_test

import (
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// The default build's decryptor: package sopsfull, the full sops library.
const decryptorName = "sops-library"

func newDecryptor() secrets.Decryptor { return sopsfull.NewDecryptor() }
