package author

import (
	"strings"
	"testing"
)

// TestSecretSourceNeverEchoesAValue: --X-env takes a variable's name; an
// operator who passes the secret itself (--s3-secret-access-key-env
// "$AWS_SECRET_ACCESS_KEY") must not see it echoed into stderr or a CI log.
// A real variable name is still named.
func TestSecretSourceNeverEchoesAValue(t *testing.T) {
	getenv := func(string) string { return "" }
	cases := []struct {
		name, env, want, hidden string
	}{
		{name: "an S3 secret key", env: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", want: "--s3-secret-access-key-env: the value given is not a variable name", hidden: "wJalrXUtnFEMI"},
		{name: "a JSON key", env: `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}`, want: "--s3-secret-access-key-env: the value given is not a variable name", hidden: "PRIVATE KEY"},
		{name: "a token with a dot", env: "abcdef.0123456789abcdef", want: "not a variable name", hidden: "0123456789abcdef"},
		{name: "a variable name is named", env: "UNSET_S3_SECRET", want: "--s3-secret-access-key-env UNSET_S3_SECRET: the variable is not set or empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := secretSource{fileFlag: "--s3-secret-access-key-file", envFlag: "--s3-secret-access-key-env", env: c.env}
			_, err := src.read(nil, getenv)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if c.hidden != "" && strings.Contains(err.Error(), c.hidden) {
				t.Errorf("the error echoes the value given: %v", err)
			}
		})
	}
}
