package sopsfull

import (
	"testing"

	"github.com/getsops/sops/v3/cmd/sops/formats"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

func TestFormatSopsStore(t *testing.T) {
	// Each Format maps to the sops store of the same name.
	for f, want := range map[secrets.Format]formats.Format{
		secrets.FormatYAML: formats.Yaml, secrets.FormatJSON: formats.Json, secrets.FormatDotenv: formats.Dotenv,
		secrets.FormatINI: formats.Ini, secrets.FormatBinary: formats.Binary,
	} {
		if secrets.FormatFor("x", string(f)) != f {
			t.Errorf("explicit %q not kept", f)
		}
		if sopsFormat(f) != want {
			t.Errorf("sopsFormat(%q) = %v, want %v", f, sopsFormat(f), want)
		}
	}
}
