package secrets

import (
	"github.com/getsops/sops/v3/cmd/sops/formats"
)

// Format is the format of a SOPS file, as the sops CLI names it.
type Format string

// The formats sops supports.
const (
	FormatYAML   Format = "yaml"
	FormatJSON   Format = "json"
	FormatDotenv Format = "dotenv"
	FormatINI    Format = "ini"
	FormatBinary Format = "binary"
)

// FormatFor returns the explicit format if given, else the one the sops CLI
// infers from the path's extension (.yaml/.yml, .json, .env, .ini, else binary).
func FormatFor(path, explicit string) Format {
	if explicit != "" {
		return Format(explicit)
	}
	switch formats.FormatForPath(path) {
	case formats.Yaml:
		return FormatYAML
	case formats.Json:
		return FormatJSON
	case formats.Dotenv:
		return FormatDotenv
	case formats.Ini:
		return FormatINI
	default:
		return FormatBinary
	}
}

// Structured reports whether values inside the format are addressed by key.
func (f Format) Structured() bool { return f != FormatBinary }
