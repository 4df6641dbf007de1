package sopsfull_test

import (
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// FuzzDecrypt: this package's decryptor, with the demo key available, never
// panics on arbitrary bytes in any format and fails only with classified
// errors (testsops.FuzzDecryptor).
func FuzzDecrypt(f *testing.F) {
	testsops.FuzzDecryptor(f, sopsfull.NewDecryptor())
}
