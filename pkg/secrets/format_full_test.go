//go:build !lean

package secrets

import (
	"testing"

	"github.com/getsops/sops/v3/cmd/sops/formats"
)

func TestFormatSopsStore(t *testing.T) {
	// Each Format maps to the sops store of the same name.
	for f, want := range map[Format]formats.Format{
		FormatYAML: formats.Yaml, FormatJSON: formats.Json, FormatDotenv: formats.Dotenv,
		FormatINI: formats.Ini, FormatBinary: formats.Binary,
	} {
		if FormatFor("x", string(f)) != f {
			t.Errorf("explicit %q not kept", f)
		}
		if f.sops() != want {
			t.Errorf("%q.sops() = %v, want %v", f, f.sops(), want)
		}
	}
}
