package sopslean

import (
	"errors"
	"os"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// Encryptor is the lean build's secrets.Encryptor: encrypting needs the
// sops library, so it asks the decryptor's clusterpair-fn-full co-process
// (see Decryptor.Encryptor), under the options' KeyPolicy, which it checks
// first: nothing is handed over toward a key source that is not allowed.
type Encryptor struct {
	full *coprocess
}

// EncryptYAML implements secrets.Encryptor.
func (e Encryptor) EncryptYAML(plaintext []byte, opts secrets.EncryptOptions) ([]byte, error) {
	if err := opts.CheckRecipients(); err != nil {
		return nil, err // no hand-over toward a key source that is not allowed
	}
	resp, err := e.full.call(request{Op: "encrypt", Data: plaintext, Encrypt: &opts, Policy: opts.Policy.Entries()})
	if err != nil {
		return nil, err
	}
	return resp.Data, resp.err()
}

// EncryptFile implements secrets.Encryptor.
func (e Encryptor) EncryptFile(plaintext []byte, target string, opts secrets.FileEncryptOptions) (*secrets.EncryptedFile, error) {
	config, getenv := opts.ConfigFile, opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if config == "" {
		config = getenv("SOPS_CONFIG")
	}
	resp, err := e.full.call(request{Op: "encrypt-file", Data: plaintext, File: target, Policy: opts.Policy.Entries(),
		EncryptFile: &fileOptions{Age: opts.Age, PGP: opts.PGP, ConfigFile: config}})
	if err != nil {
		return nil, err
	}
	return resp.File, resp.err()
}

// err is the response's failure, nil when it has none.
func (r *response) err() error {
	switch {
	case r.Error != nil:
		return r.Error
	case r.Message != "":
		return errors.New(r.Message)
	}
	return nil
}
