//go:build leanproto

package hotpath_test

import "github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"

// The phase-1 prototype's decryptor (-tags leanproto with the overlay
// hack/bench/compare writes).
const decryptorName = "sopsfile"

func newDecryptor() secrets.Decryptor { return secrets.NewLeanDecryptor() }
