package testsops

import (
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// NewFixtureEncryptor returns the sops library's encryptor (package
// sopsfull) in every build. Tests write their encrypted fixtures with it,
// so that with -tags lean they still get fixtures to decrypt; what they
// test encrypts with NewEncryptor.
func NewFixtureEncryptor() secrets.Encryptor { return sopsfull.NewEncryptor() }
