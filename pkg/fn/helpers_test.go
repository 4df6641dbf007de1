package fn_test

import (
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// fixtureSecrets decrypts the fixtures and returns every secret value in
// them (tokens, keys, passwords), for leak assertions.
func fixtureSecrets(t *testing.T) []string {
	t.Helper()
	testenv.UseDemoKey(t)
	root, err := secrets.OpenRoot(testenv.Path("testdata", "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	res := secrets.NewResolver(root, testsops.NewDecryptor())
	var out []string
	add := func(ref secrets.Ref) {
		v, err := res.Resolve(ref)
		if err != nil {
			t.Fatalf("decrypting fixture %s: %v", ref.File, err)
		}
		out = append(out, strings.TrimSpace(v.Reveal()))
	}
	add(secrets.Ref{File: "token.enc"})
	add(secrets.Ref{File: "token-ws.enc"})
	add(secrets.Ref{File: "secrets.yaml", Key: "portworx.token"})
	add(secrets.Ref{File: "px.env", Key: "PX_TOKEN"})
	add(secrets.Ref{File: "token-plaintext.txt", AllowUnencrypted: true})
	add(secrets.Ref{File: "source-token.enc"})
	add(secrets.Ref{File: "objectstore.yaml", Key: "s3.secretAccessKey"})
	add(secrets.Ref{File: "objectstore.yaml", Key: "azure.accountKey"})
	add(secrets.Ref{File: "objectstore.yaml", Key: "encryptionKey"})
	add(secrets.Ref{File: "gcp-key.json", Key: "private_key_id"})
	add(secrets.Ref{File: "azure-sp.yaml", Key: "clientSecret"})
	for _, f := range []string{"kubeconfig.yaml", "kubeconfig-insecure.yaml", "kubeconfig-twoauth.yaml", "kubeconfig-expired.yaml", "source-kubeconfig.yaml", "kubeconfig-jwt.yaml"} {
		v, err := res.Resolve(secrets.Ref{File: f})
		if err != nil {
			t.Fatalf("decrypting fixture %s: %v", f, err)
		}
		cfg, err := clientcmd.Load(v.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range cfg.AuthInfos {
			for _, s := range []string{u.Token, u.Password, string(u.ClientKeyData)} {
				if s != "" {
					out = append(out, s)
				}
				// A JWT's payload alone must not leak either.
				if parts := strings.Split(s, "."); len(parts) == 3 {
					out = append(out, parts[1])
				}
			}
		}
	}
	return out
}

// assertNoSecrets fails when text contains any of the secrets (or a long
// enough fragment of a PEM key).
func assertNoSecrets(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		probe := s
		if strings.Contains(s, "PRIVATE KEY") {
			lines := strings.Split(s, "\n")
			probe = lines[1] // a line of key material
		}
		if probe != "" && strings.Contains(text, probe) {
			t.Errorf("%s contains a secret value (%d bytes)", where, len(probe))
		}
	}
}

func yamlOf(v any) (string, error) {
	b, err := yaml.Marshal(v)
	return string(b), err
}
