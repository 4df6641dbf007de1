package sopsfile

import (
	"errors"
)

// Format is a SOPS file format, named as the sops CLI names it.
type Format string

// The formats.
const (
	YAML   Format = "yaml"
	JSON   Format = "json"
	Dotenv Format = "dotenv"
	INI    Format = "ini"
	Binary Format = "binary"
)

// FormatFromString returns the format of that exact name, and Binary for
// anything else (sops's rule: "yml" or "" mean binary). Decrypt and Parse
// apply it to the format they are given.
func FormatFromString(s string) Format {
	switch f := Format(s); f {
	case YAML, JSON, Dotenv, INI:
		return f
	}
	return Binary
}

// Document is a decrypted (or plaintext) file.
type Document struct {
	// Format is the file's format.
	Format Format
	// Branches are the file's documents (several only for a YAML stream),
	// without the sops metadata. For a binary file: one mapping with the
	// "data" string.
	Branches []Mapping
	// Metadata is the file's sops metadata; nil for Parse.
	Metadata *Metadata
}

// Plaintext returns the document as sops decrypt would print it: YAML with
// a 4-space indent and the comments, JSON indented with tabs, dotenv and
// INI text, or a binary file's content.
func (d *Document) Plaintext() ([]byte, error) {
	switch d.Format {
	case YAML:
		return emitYAML(d.Branches)
	case JSON:
		if len(d.Branches) == 0 {
			return nil, errorf(ErrMalformed, "no document")
		}
		return emitJSON(d.Branches[0])
	case Dotenv:
		if len(d.Branches) == 0 {
			return nil, errorf(ErrMalformed, "no document")
		}
		return emitDotenv(d.Branches[0])
	case INI:
		return emitINI(d.Branches)
	default:
		return binaryData(d.Branches)
	}
}

// Decryptor decrypts SOPS files with the age and PGP keys sops would find in
// the environment. It keeps the loaded age identities for its lifetime and
// is safe for concurrent use.
type Decryptor struct {
	keys keyring
}

// NewDecryptor returns a Decryptor.
func NewDecryptor() *Decryptor { return &Decryptor{keys: keyring{sources: NewEnvKeySources()}} }

// NewTenantDecryptor returns a Decryptor that uses only a tenant's keys:
// ageIdentities, the text of its age identity files ("" for none), and
// gnupgHome, its GnuPG home ("" for none). No key source of the
// environment is consulted. The error (a line that is not an age
// identity) never quotes the text.
func NewTenantDecryptor(ageIdentities, gnupgHome string) (*Decryptor, error) {
	sources, err := NewTenantKeySources(ageIdentities, gnupgHome)
	if err != nil {
		return nil, err
	}
	return &Decryptor{keys: keyring{sources: sources}}, nil
}

// Decrypt reads a SOPS file of the format, recovers its data key with age or
// PGP, decrypts every encrypted value and verifies the MAC. Errors are
// *Error values (see the Err* kinds); ErrNeedsFullSOPS means that the file
// needs a key source only the full sops library has.
func (d *Decryptor) Decrypt(data []byte, format Format) (*Document, error) {
	format = FormatFromString(string(format))
	branches, err := load(data, format, true)
	if err != nil {
		return nil, err
	}
	branches, md, err := extractMetadata(branches, format)
	if err != nil {
		return nil, err
	}
	key, err := d.keys.dataKey(md)
	if err != nil {
		return nil, err
	}
	if err := decryptTree(branches, md, key); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Keys == nil {
			e.Keys = md.Keys()
		}
		return nil, err
	}
	return &Document{Format: format, Branches: branches, Metadata: md}, nil
}

// Parse reads a file that is not encrypted, as sops loads a plaintext file.
func Parse(data []byte, format Format) (*Document, error) {
	format = FormatFromString(string(format))
	branches, err := load(data, format, false)
	if err != nil {
		return nil, err
	}
	return &Document{Format: format, Branches: branches}, nil
}

// ReadMetadata returns the sops metadata of a file without decrypting it.
func ReadMetadata(data []byte, format Format) (*Metadata, error) {
	format = FormatFromString(string(format))
	branches, err := load(data, format, true)
	if err != nil {
		return nil, err
	}
	_, md, err := extractMetadata(branches, format)
	return md, err
}

// load reads the tree of a file. An encrypted binary file is JSON; a
// plaintext one is its bytes under "data".
func load(data []byte, format Format, encrypted bool) ([]Mapping, error) {
	switch format {
	case YAML:
		return loadYAML(data)
	case JSON:
		return loadJSON(data)
	case Dotenv:
		return loadDotenv(data)
	case INI:
		return loadINI(data)
	default:
		if encrypted {
			return loadJSON(data)
		}
		return []Mapping{{{Key: "data", Value: string(data)}}}, nil
	}
}
