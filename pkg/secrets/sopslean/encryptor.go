package sopslean

import (
	"fmt"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// Encryptor is the lean build's secrets.Encryptor: encrypting needs the full
// sops library, so it refuses with an error matching
// secrets.ErrNeedsFullSOPS, and the lean binary hands the run over to
// clusterpair-fn-full.
type Encryptor struct{}

// NewEncryptor returns the lean encryptor.
func NewEncryptor() Encryptor { return Encryptor{} }

// EncryptYAML implements secrets.Encryptor: it refuses recipients the
// options' KeyPolicy does not allow (nothing is handed over toward them),
// and otherwise needs the full sops library.
func (Encryptor) EncryptYAML(_ []byte, opts secrets.EncryptOptions) ([]byte, error) {
	if err := opts.CheckRecipients(); err != nil {
		return nil, err // no hand-over toward a key source that is not allowed
	}
	return nil, fmt.Errorf("encrypting output: %w", secrets.ErrNeedsFullSOPS)
}

// EncryptFile implements secrets.Encryptor: it needs the full sops library.
func (Encryptor) EncryptFile(_ []byte, target string, _ secrets.FileEncryptOptions) (*secrets.EncryptedFile, error) {
	return nil, fmt.Errorf("encrypting %s: %w", target, secrets.ErrNeedsFullSOPS)
}
