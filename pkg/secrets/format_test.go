package secrets

import (
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

func TestFormatFor(t *testing.T) {
	testenv.Isolate(t)
	tests := []struct {
		path, explicit string
		want           Format
		structured     bool
	}{
		{"kubeconfig.yaml", "", FormatYAML, true},
		{"dir/kubeconfig.yml", "", FormatYAML, true},
		{"config.json", "", FormatJSON, true},
		{"px.env", "", FormatDotenv, true},
		{"settings.ini", "", FormatINI, true},
		{"token.enc", "", FormatBinary, false},
		{"token.txt", "", FormatBinary, false},
		{"token", "", FormatBinary, false},
		{"secrets.yaml.enc", "", FormatBinary, false},
		{"dir.yaml/token", "", FormatBinary, false},
		// Like the sops CLI, the extension is matched case-sensitively.
		{"KUBECONFIG.YAML", "", FormatBinary, false},
		// An explicit format wins over the extension.
		{"token.txt", "yaml", FormatYAML, true},
		{"kubeconfig.yaml", "binary", FormatBinary, false},
		{"px.txt", "dotenv", FormatDotenv, true},
		{"x.enc", "json", FormatJSON, true},
		{"x.enc", "ini", FormatINI, true},
	}
	for _, tt := range tests {
		got := FormatFor(tt.path, tt.explicit)
		if got != tt.want {
			t.Errorf("FormatFor(%q, %q) = %q, want %q", tt.path, tt.explicit, got, tt.want)
		}
		if got.Structured() != tt.structured {
			t.Errorf("%q.Structured() = %v, want %v", got, got.Structured(), tt.structured)
		}
	}

}
