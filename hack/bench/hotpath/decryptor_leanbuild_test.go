//go:build lean

package hotpath_test

import "github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"

// The lean build's decryptor (-tags lean): pkg/secrets/sopsfile.
const decryptorName = "sopsfile"

func newDecryptor() secrets.Decryptor { return secrets.NewSOPSDecryptor() }
