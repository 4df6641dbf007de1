package portworx_test

import (
	"os"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestMain runs the tests hermetically (testenv.MainIsolated): HOME,
// XDG_CONFIG_HOME and GNUPGHOME in a temporary directory, and no SOPS_*,
// AWS_*, GOOGLE_*, AZURE_* or VAULT_* variable of the host.
func TestMain(m *testing.M) {
	os.Exit(testenv.MainIsolated(m, "STORAGE_EMULATOR_HOST="))
}
