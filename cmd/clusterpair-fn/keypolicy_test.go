package main

import (
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestBadKeyEndpointIsRefusedBeforeRendering: a malformed allowlist entry,
// in the flag or the environment, stops the run before anything is read.
func TestBadKeyEndpointIsRefusedBeforeRendering(t *testing.T) {
	testenv.Isolate(t)
	t.Chdir(t.TempDir())
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
	cases := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"flag", "", []string{"--allow-key-endpoint", "vault=https://vault:8200"}, `unknown kind "vault"`},
		{"environment", "hc_vault=https://vault:8200/v1?token=QUERYSECRET", nil, "without user, path, query or fragment"},
		{"build flag", "", []string{"build", "--allow-key-endpoint", "kms"}, "is not KIND=VALUE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(secrets.AllowKeyEndpointsEnv, c.env)
			out, _, err := execute(t, in, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), secrets.AllowKeyEndpointsEnv) {
				t.Fatalf("err = %v, want one naming %s and %q", err, secrets.AllowKeyEndpointsEnv, c.want)
			}
			if strings.Contains(err.Error(), "QUERYSECRET") {
				t.Errorf("the error repeats the entry's query: %v", err)
			}
			if out != "" {
				t.Errorf("wrote %q", out)
			}
		})
	}
}
