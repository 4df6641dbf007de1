package author

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestSecretSourceNeverEchoesAValue: --X-env takes a variable's name; an
// operator who passes the secret itself (--s3-secret-access-key-env
// "$AWS_SECRET_ACCESS_KEY") must not see it echoed into stderr or a CI log,
// even when it happens to be a valid variable name.
func TestSecretSourceNeverEchoesAValue(t *testing.T) {
	getenv := func(string) string { return "" }
	cases := []struct {
		name, env, want, hidden string
	}{
		{name: "an S3 secret key", env: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", want: "--s3-secret-access-key-env: the value given is not a variable name", hidden: "wJalrXUtnFEMI"},
		{name: "a JSON key", env: `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}`, want: "--s3-secret-access-key-env: the value given is not a variable name", hidden: "PRIVATE KEY"},
		{name: "a token with a dot", env: "abcdef.0123456789abcdef", want: "not a variable name", hidden: "0123456789abcdef"},
		{name: "a token that is a valid variable name", env: "c0ffee0123456789abcdef", want: "the variable named by --s3-secret-access-key-env is not set or is empty", hidden: "c0ffee"},
		{name: "a variable name", env: "UNSET_S3_SECRET", want: "the variable named by --s3-secret-access-key-env is not set or is empty", hidden: "UNSET_S3_SECRET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := secretSource{fileFlag: "--s3-secret-access-key-file", envFlag: "--s3-secret-access-key-env", env: c.env}
			_, err := src.read(nil, getenv)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), c.hidden) {
				t.Errorf("the error echoes the value given: %v", err)
			}
		})
	}
}

// secretFlagPair is one --X-file/--X-env pair of New and how to set it.
type secretFlagPair struct {
	name string // X
	set  func(o *Options, file, env string)
}

// secretFlagPairs are every secret source New reads: the Portworx tokens of
// both sides and each object store credential of each provider.
func secretFlagPairs() []secretFlagPair {
	azure := func(o *Options) *ObjectStoreOptions {
		o.ObjectStore = ObjectStoreOptions{Provider: "azure", Bucket: "px-dr", AzureAccountName: "pxdrwest"}
		return &o.ObjectStore
	}
	google := func(o *Options) *ObjectStoreOptions {
		o.ObjectStore = ObjectStoreOptions{Provider: "google", Bucket: "px-dr", GoogleProjectID: "px-dr-west"}
		return &o.ObjectStore
	}
	return []secretFlagPair{
		{"token", func(o *Options, file, env string) { o.TokenFile, o.TokenEnv = file, env }},
		{"reverse-token", func(o *Options, file, env string) { o.Reverse.TokenFile, o.Reverse.TokenEnv = file, env }},
		{"object-store-encryption-key", func(o *Options, file, env string) {
			o.ObjectStore.EncryptionKeyFile, o.ObjectStore.EncryptionKeyEnv = file, env
		}},
		{"s3-access-key-id", func(o *Options, file, env string) {
			o.ObjectStore.S3AccessKeyIDFile, o.ObjectStore.S3AccessKeyIDEnv = file, env
		}},
		{"s3-secret-access-key", func(o *Options, file, env string) {
			o.ObjectStore.S3SecretAccessKeyFile, o.ObjectStore.S3SecretAccessKeyEnv = file, env
		}},
		{"azure-account-key", func(o *Options, file, env string) {
			s := azure(o)
			s.AzureAccountKeyFile, s.AzureAccountKeyEnv = file, env
		}},
		{"google-account-key", func(o *Options, file, env string) {
			s := google(o)
			s.GoogleAccountKeyFile, s.GoogleAccountKeyEnv = file, env
		}},
	}
}

// TestNewNeverEchoesWhatASecretFlagWasGiven: for every secret source
// flag, a value that looks like a token, given where a variable name or a
// file path belongs (the token pasted by mistake, or a path that holds
// it), is in no error: the error names the flag and what is wrong, and
// keeps the OS's reason without the path.
func TestNewNeverEchoesWhatASecretFlagWasGiven(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	// A hex token starts with a letter here: a valid variable name.
	token := "c0ffee" + randomHex(t) + randomHex(t)
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ" + randomHex(t) + "." + randomHex(t)
	inputs := t.TempDir()
	dirNamedLikeToken := filepath.Join(inputs, "dir", token)
	if err := os.MkdirAll(dirNamedLikeToken, 0o755); err != nil {
		t.Fatal(err)
	}
	largeNamedLikeToken := filepath.Join(inputs, "large", token)
	if err := os.MkdirAll(filepath.Dir(largeNamedLikeToken), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(largeNamedLikeToken, []byte(strings.Repeat("x", secrets.MaxFileSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		file, env string
		want      string // with FLAG for --X-file or --X-env
	}{
		{name: "a token that is a variable name, in -env", env: token, want: "the variable named by FLAG is not set or is empty"},
		{name: "a JWT in -env", env: jwt, want: "FLAG: the value given is not a variable name (it is not shown"},
		{name: "a token in -file", file: token, want: "the file given to FLAG cannot be opened: no such file or directory"},
		{name: "a JWT in -file", file: jwt, want: "the file given to FLAG cannot be opened: no such file or directory"},
		{name: "a token as an absolute path in -file", file: filepath.Join(inputs, "nope", token), want: "the file given to FLAG cannot be opened: no such file or directory"},
		{name: "a directory named like a token in -file", file: dirNamedLikeToken, want: "the file given to FLAG cannot be read: is a directory"},
		{name: "a large file named like a token in -file", file: largeNamedLikeToken, want: "the file given to FLAG holds more than 1048576 bytes; "},
	}
	hidden := []string{token, token[6:38], jwt, jwt[len(jwt)-32:], inputs}
	for _, pair := range secretFlagPairs() {
		for _, c := range cases {
			flag := "--" + pair.name + "-file"
			if c.env != "" {
				flag = "--" + pair.name + "-env"
			}
			t.Run(flag+"/"+c.name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "pair")
				opts, in := bidiOptions(t, f, dir)
				pair.set(&opts, c.file, c.env)
				res, err := New(opts)
				assertRefused(t, res, err, dir, strings.ReplaceAll(c.want, "FLAG", flag), false, append(in.secrets, hidden...))
			})
		}
	}
}
