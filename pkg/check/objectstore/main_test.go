package objectstore_test

import (
	"os"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestMain runs the tests hermetically: HOME, XDG_CONFIG_HOME and
// GNUPGHOME in a temporary directory, and no SOPS_*, AWS_*, GOOGLE_*,
// AZURE_* or VAULT_* variable of the host (no credential file or variable
// can stand in for the ones the tests give).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clusterpair-fn-test-home-")
	if err != nil {
		panic(err)
	}
	env := testenv.IsolatedEnv(dir, "STORAGE_EMULATOR_HOST=")
	os.Clearenv()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		_ = os.Setenv(k, v)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
