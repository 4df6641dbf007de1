package fn_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// canary returns a unique marker to plant in a secret input.
func canary(t *testing.T, what string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "CANARY" + strings.ToUpper(what) + hex.EncodeToString(b)
}

// writeEncrypted encrypts YAML to the demo key into dir/name.
func writeEncrypted(t *testing.T, dir, name, plain string) {
	t.Helper()
	enc, err := testsops.NewFixtureEncryptor().EncryptYAML([]byte(plain), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{Age: []string{demoRecipient(t)}}}})
	if err != nil {
		t.Fatalf("encrypting %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), enc, 0o644); err != nil {
		t.Fatal(err)
	}
}

const goodKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://dest.example.com:6443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: %s}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`

// jwtWithExp returns the header and payload of a JWT expiring at exp, and
// the dot before its signature: the scenario appends the canary as the
// signature, so that the whole token must stay out of every message.
func jwtWithExp(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(fmt.Sprintf(`{"sub":"canary","exp":%d}`, exp.Unix()))) + "."
}

// TestCanarySecretsNeverLeak plants unique markers in every kind of secret
// input and drives every error and warning path that touches them: no
// marker may reach stderr or the results, nor stdout of a failing run.
func TestCanarySecretsNeverLeak(t *testing.T) {
	type scenario struct {
		name       string
		kubeconfig string // plaintext, %s gets a marker
		tokenYAML  string // plaintext of secrets.yaml, %s gets a marker
		extraSpec  string
		wantErr    bool
	}
	scenarios := []scenario{
		{name: "kubeconfig is not YAML", kubeconfig: "clusters: [%s\n  - : :", tokenYAML: "token: ok-token\n", wantErr: true},
		{name: "kubeconfig duplicate users", kubeconfig: "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user: {token: %s}\n- name: u\n  user: {token: x}\n", tokenYAML: "token: ok-token\n", wantErr: true},
		{name: "token with whitespace", kubeconfig: fmt.Sprintf(goodKubeconfig, "kctoken-ok"), tokenYAML: "token: \"%s inner space\"\n", wantErr: true},
		{name: "token with control character", kubeconfig: fmt.Sprintf(goodKubeconfig, "kctoken-ok"), tokenYAML: "token: \"%s\\u0007\"\n", wantErr: true},
		{name: "proxy url with a password and a bad scheme", kubeconfig: strings.Replace(goodKubeconfig, "insecure-skip-tls-verify: true", "proxy-url: \"ftp://user:%s@proxy:21\"", 1), tokenYAML: "token: ok-token\n", wantErr: true},
		{name: "loopback server with a password", kubeconfig: strings.Replace(goodKubeconfig, "https://dest.example.com:6443", "https://admin:%s@127.0.0.1:6443", 1), tokenYAML: "token: ok-token\n"},
		{name: "loopback server with a query token", kubeconfig: strings.Replace(goodKubeconfig, "https://dest.example.com:6443", "https://127.0.0.1:6443/k8s/%s?access_token=%s#%s", 1), tokenYAML: "token: ok-token\n"},
		{name: "plain http server with a query token", kubeconfig: strings.Replace(goodKubeconfig, "https://dest.example.com:6443", "http://dest.example.com:8080/?access_token=%s", 1), tokenYAML: "token: ok-token\n"},
		{name: "server that is not a URL", kubeconfig: strings.Replace(goodKubeconfig, "https://dest.example.com:6443", "https://dest.example.com:%s/?access_token=%s", 1), tokenYAML: "token: ok-token\n", wantErr: true},
		{name: "two auth methods", kubeconfig: strings.Replace(goodKubeconfig, "{token: %s}", "{token: tok-%s, username: admin, password: %s}", 1), tokenYAML: "token: ok-token\n", wantErr: true},
		{name: "exec env holds a secret", kubeconfig: strings.Replace(goodKubeconfig, "{token: %s}", "{exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, env: [{name: AWS_SECRET_ACCESS_KEY, value: %s}]}}", 1), tokenYAML: "token: ok-token\n"},
		{name: "missing key lists names only", kubeconfig: fmt.Sprintf(goodKubeconfig, "kctoken-ok"), tokenYAML: "tokn: %s\n", wantErr: true},
		{name: "context missing lists names only", kubeconfig: fmt.Sprintf(goodKubeconfig, "%s"), tokenYAML: "token: ok-token\n", extraSpec: "      context: nope\n", wantErr: true},
		{name: "expired JWT token", kubeconfig: fmt.Sprintf(goodKubeconfig, jwtWithExp(time.Unix(1000000000, 0))+"%s"), tokenYAML: "token: ok-token\n", wantErr: true},
		{name: "JWT token expiring soon", kubeconfig: fmt.Sprintf(goodKubeconfig, jwtWithExp(time.Now().Add(72*time.Hour))+"%s"), tokenYAML: "token: ok-token\n"},
		{name: "azure client secret with whitespace", kubeconfig: fmt.Sprintf(goodKubeconfig, "kctoken-ok"), tokenYAML: "token: ok-token\nazkey: ok-account-key\nazsp: \"%s inner space\"\n", wantErr: true},
		{name: "google key without private key", kubeconfig: fmt.Sprintf(goodKubeconfig, "kctoken-ok"), tokenYAML: "token: ok-token\ngcp: '{\"type\": \"service_account\", \"project_id\": \"p\", \"client_email\": \"%s\"}'\n", wantErr: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := fixtureDir(t)
			marker := canary(t, "x")
			// The kubeconfig travels as a string value so that even text that
			// is not YAML can be encrypted.
			wrapped, err := yaml.Marshal(map[string]string{"kubeconfig": strings.ReplaceAll(sc.kubeconfig, "%s", marker)})
			if err != nil {
				t.Fatal(err)
			}
			writeEncrypted(t, dir, "kc.yaml", string(wrapped))
			writeEncrypted(t, dir, "secrets.yaml", strings.ReplaceAll(sc.tokenYAML, "%s", marker))
			key := "token"
			req := "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata: {name: c, namespace: app}\nspec:\n  mode: async-dr\n  destination:\n    kubeconfig:\n      file: kc.yaml\n      key: kubeconfig\n" + sc.extraSpec +
				"  storage:\n    ip: px.example.com\n    token: {file: secrets.yaml, key: " + key + "}\n"
			if strings.Contains(sc.tokenYAML, "azsp:") {
				req += "  objectStore:\n    provider: azure\n    bucket: px-b\n    azure: {accountName: pxdr, resourceGroup: rg, accountKey: {file: secrets.yaml, key: azkey}, servicePrincipal: {tenantID: 72f988bf-86f1-41af-91ab-2d7cd011db47, subscriptionID: 0b1f6471-1bf0-4dda-aec3-cb9272f09590, clientID: 04b07795-8ddb-461a-bbee-02f9e1bf7b46, clientSecret: {file: secrets.yaml, key: azsp}}}\n"
			}
			if strings.Contains(sc.tokenYAML, "gcp:") {
				req += "  objectStore:\n    provider: google\n    bucket: px-b\n    google: {projectID: demo-project-1, accountKey: {file: secrets.yaml, key: gcp}}\n"
			}
			var stdout, stderr bytes.Buffer
			p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr}
			err = fn.Run(p, bytes.NewReader(resourceList(t, req)), &stdout)
			if (err != nil) != sc.wantErr {
				t.Fatalf("err = %v, want error %v\n%s", err, sc.wantErr, stderr.String())
			}
			if !sc.wantErr && !strings.Contains(stderr.String(), "warning") {
				t.Fatalf("scenario meant to warn did not:\n%s", stderr.String())
			}
			if strings.Contains(stderr.String(), marker) {
				t.Errorf("stderr leaks the canary:\n%s", stderr.String())
			}
			rl, perr := sdk.ParseResourceList(stdout.Bytes())
			if perr != nil {
				t.Fatal(perr)
			}
			results, _ := yamlOf(rl.Results)
			if strings.Contains(results, marker) {
				t.Errorf("results leak the canary:\n%s", results)
			}
			if sc.wantErr && strings.Contains(stdout.String(), marker) {
				t.Errorf("a failing run's output leaks the canary")
			}
		})
	}
}

// panickingDecryptor decrypts normally, then panics with the plaintext in
// the panic value, standing in for a bug anywhere below the processor.
type panickingDecryptor struct{ secrets.Decryptor }

func (d panickingDecryptor) Decrypt(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	doc, err := d.Decryptor.Decrypt(file, data, format)
	if err == nil {
		v, _ := doc.Whole(file)
		panic("bug with secret in hand: " + v.Reveal())
	}
	return doc, err
}

func TestPanicsNeverLeak(t *testing.T) {
	dir := fixtureDir(t)
	marker := canary(t, "panic")
	writeEncrypted(t, dir, "kc.yaml", fmt.Sprintf(goodKubeconfig, marker))
	req := "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata: {name: c, namespace: app}\nspec:\n  mode: sync-dr\n  destination:\n    kubeconfig: {file: kc.yaml}\n"
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: panickingDecryptor{testsops.NewDecryptor()}, Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr}
	err := fn.Run(p, bytes.NewReader(resourceList(t, req)), &stdout)
	if err == nil || !strings.Contains(stderr.String(), "internal error") {
		t.Fatalf("a panic must fail the run with an internal error; err=%v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), marker) {
		t.Fatal("the panic value leaked")
	}
	_ = testenv.DemoKeyFile
}
