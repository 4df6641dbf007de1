//go:build lean

package hotpath_test

import (
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopslean"
)

// The lean build's decryptor (-tags lean): package sopslean, which reads
// with pkg/secrets/sopsfile.
const decryptorName = "sopsfile"

func newDecryptor() secrets.Decryptor { return sopslean.NewDecryptor() }
