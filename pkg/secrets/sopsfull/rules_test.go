package sopsfull

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

const rulesKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: west
  cluster:
    server: https://api.west.example.com:6443
users:
- name: admin
  user:
    token: rules-test-token-0123456789abcdef
contexts:
- name: west
  context:
    cluster: west
    user: admin
current-context: west
`

const rulesToken = "rules-test-px-token-fedcba9876543210\n"

// sopsCLI runs the sops CLI from ./bin in dir with only keyFile's key.
func sopsCLI(t *testing.T, dir, keyFile string, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(testenv.Tool(t, "sops"), append([]string{"--disable-version-check"}, args...)...)
	cmd.Dir = dir
	cmd.Env = testenv.IsolatedEnv(t.TempDir(), "SOPS_AGE_KEY_FILE="+keyFile)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.New(err.Error() + ": " + stderr.String())
	}
	return out, nil
}

// bothKeys returns a key file holding the demo and the other identity.
func bothKeys(t *testing.T) string {
	t.Helper()
	var all []byte
	for _, f := range []string{testenv.DemoKeyFile(), testenv.OtherKeyFile()} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(append(all, data...), '\n')
	}
	p := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(p, all, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeEncrypted writes an EncryptFile result to its target.
func writeEncrypted(t *testing.T, target string, e *secrets.EncryptedFile) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, e.Data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sopsMetadata returns the sops metadata of an encrypted YAML or JSON file
// without the values that differ between runs.
func sopsMetadata(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	m, _ := doc["sops"].(map[string]any)
	if m == nil {
		t.Fatalf("no sops metadata in:\n%s", data)
	}
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "lastmodified", "mac", "version":
		case "age":
			var recipients []string
			for _, e := range v.([]any) {
				recipients = append(recipients, e.(map[string]any)["recipient"].(string))
			}
			out[k] = recipients
		default:
			out[k] = v
		}
	}
	return out
}

// plainLeaves lists the leaf values of an encrypted YAML document that
// are not ENC[...], by path.
func plainLeaves(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "sops")
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(path+"."+k, c)
			}
		case []any:
			for i, c := range x {
				walk(path+"."+string(rune('0'+i)), c)
			}
		case string:
			if !strings.HasPrefix(x, "ENC[") {
				out[path] = x
			}
		}
	}
	walk("", doc)
	return out
}

func TestEncryptFileHonoursCreationRulesLikeTheCLI(t *testing.T) {
	testenv.Isolate(t)
	demo, other := recipient(t, testenv.DemoKeyFile()), recipient(t, testenv.OtherKeyFile())
	cases := []struct {
		name     string
		config   string // .sops.yaml at the repository root; "" for none
		target   string // relative to the repository root
		content  string
		opts     secrets.FileEncryptOptions
		key      string // the key file that must decrypt the result
		plain    []string
		metadata map[string]any // expected subset of the sops metadata
	}{
		{name: "explicit age, no configuration", target: "pairs/a/destination-kubeconfig.yaml", content: rulesKubeconfig,
			opts: secrets.FileEncryptOptions{Age: []string{demo}}, key: testenv.DemoKeyFile(),
			metadata: map[string]any{"age": []string{demo}, "unencrypted_suffix": "_unencrypted"}},
		{name: "explicit age, binary token", target: "pairs/a/px-token.enc", content: rulesToken,
			opts: secrets.FileEncryptOptions{Age: []string{demo}}, key: testenv.DemoKeyFile(),
			metadata: map[string]any{"age": []string{demo}}},
		{name: "rule by path_regex: yaml files to the demo key, encrypted_regex", target: "pairs/a/destination-kubeconfig.yaml", content: rulesKubeconfig,
			config: "creation_rules:\n  - path_regex: \\.enc$\n    age: " + other + "\n  - path_regex: ^pairs/.*\\.yaml$\n    encrypted_regex: ^(users|clusters)$\n    age: " + demo + "\n",
			key:    testenv.DemoKeyFile(), plain: []string{".apiVersion", ".kind", ".current-context", ".contexts.0.name", ".contexts.0.context.cluster", ".contexts.0.context.user"},
			metadata: map[string]any{"age": []string{demo}, "encrypted_regex": "^(users|clusters)$"}},
		{name: "rule by path_regex: .enc to the other key, regex ignored for binary", target: "pairs/a/px-token.enc", content: rulesToken,
			config: "creation_rules:\n  - path_regex: \\.enc$\n    encrypted_regex: ^nothing$\n    age: " + other + "\n  - age: " + demo + "\n",
			key:    testenv.OtherKeyFile(), metadata: map[string]any{"age": []string{other}}},
		{name: "rule without path_regex, mac_only_encrypted and unencrypted_regex", target: "deep/er/pair/kc.yaml", content: rulesKubeconfig,
			config: "creation_rules:\n  - unencrypted_regex: ^(kind|apiVersion|current-context)$\n    mac_only_encrypted: true\n    age: " + demo + "\n",
			key:    testenv.DemoKeyFile(), plain: []string{".apiVersion", ".kind", ".current-context"},
			metadata: map[string]any{"age": []string{demo}, "unencrypted_regex": "^(kind|apiVersion|current-context)$", "mac_only_encrypted": true}},
		{name: "explicit age replaces the rule's keys, keeps its regex", target: "pairs/a/kc.yaml", content: rulesKubeconfig,
			config: "creation_rules:\n  - encrypted_regex: ^users$\n    age: " + other + "\n",
			opts:   secrets.FileEncryptOptions{Age: []string{demo}}, key: testenv.DemoKeyFile(),
			plain:    []string{".apiVersion", ".kind", ".current-context", ".contexts.0.name", ".contexts.0.context.cluster", ".contexts.0.context.user", ".clusters.0.name", ".clusters.0.cluster.server"},
			metadata: map[string]any{"age": []string{demo}, "encrypted_regex": "^users$"}},
		{name: "key groups", target: "pairs/a/kc.yaml", content: rulesKubeconfig,
			config: "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [" + demo + "]\n      - age: [" + other + "]\n",
			key:    bothKeys(t), metadata: map[string]any{"shamir_threshold": float64(2)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			if c.config != "" {
				if err := os.WriteFile(filepath.Join(repo, ".sops.yaml"), []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(repo, filepath.FromSlash(c.target))
			got, err := NewEncryptor().EncryptFile([]byte(c.content), target, c.opts)
			if err != nil {
				t.Fatalf("EncryptFile: %v", err)
			}
			if bytes.Contains(got.Data, []byte("0123456789abcdef")) || bytes.Contains(got.Data, []byte("fedcba9876543210")) {
				t.Fatalf("the encrypted file contains the plaintext:\n%s", got.Data)
			}
			if c.config != "" && got.ConfigFile != filepath.Join(repo, ".sops.yaml") {
				t.Errorf("ConfigFile = %q", got.ConfigFile)
			}
			if c.config == "" && got.ConfigFile != "" {
				t.Errorf("ConfigFile = %q without a configuration", got.ConfigFile)
			}
			writeEncrypted(t, target, got)

			// The sops CLI decrypts it with the expected key to the same bytes.
			plain, err := sopsCLI(t, repo, c.key, nil, "decrypt", target)
			if err != nil {
				t.Fatalf("sops decrypt: %v", err)
			}
			if filepath.Ext(target) == ".enc" {
				if string(plain) != c.content {
					t.Errorf("decrypted %q, want %q", plain, c.content)
				}
			} else {
				var a, b any
				_ = yaml.Unmarshal(plain, &a)
				_ = yaml.Unmarshal([]byte(c.content), &b)
				if !reflect.DeepEqual(a, b) {
					t.Errorf("decrypted document differs:\n%s", plain)
				}
				gotPlain := plainLeaves(t, got.Data)
				if len(gotPlain) != len(c.plain) {
					t.Errorf("unencrypted values %v, want exactly %v", gotPlain, c.plain)
				}
				for _, p := range c.plain {
					if _, ok := gotPlain[p]; !ok {
						t.Errorf("%s is encrypted; the rule leaves it readable (%v)", p, gotPlain)
					}
				}
			}
			meta := sopsMetadata(t, got.Data)
			for k, v := range c.metadata {
				if !reflect.DeepEqual(meta[k], v) {
					t.Errorf("sops.%s = %#v, want %#v", k, meta[k], v)
				}
			}

			// The sops CLI, run from the repository root on the same
			// content, picks the same rule: the same metadata and the same
			// values left readable.
			args := []string{"encrypt", "--filename-override", c.target}
			for _, r := range c.opts.Age {
				args = append(args, "--age", r)
			}
			cli, err := sopsCLI(t, repo, c.key, []byte(c.content), args...)
			if err != nil {
				t.Fatalf("sops encrypt: %v", err)
			}
			cliMeta := sopsMetadata(t, cli)
			if groups, ok := meta["key_groups"]; ok {
				// Key groups hold per-run ciphertext; compare their recipients.
				meta["key_groups"], cliMeta["key_groups"] = len(groups.([]any)), len(cliMeta["key_groups"].([]any))
			}
			if !reflect.DeepEqual(meta, cliMeta) {
				t.Errorf("metadata differs from the sops CLI's\n ours: %#v\n  cli: %#v", meta, cliMeta)
			}
			if filepath.Ext(target) != ".enc" && !reflect.DeepEqual(plainLeaves(t, got.Data), plainLeaves(t, cli)) {
				t.Errorf("readable values differ from the sops CLI's: %v vs %v", plainLeaves(t, got.Data), plainLeaves(t, cli))
			}
		})
	}
}

func TestEncryptFileErrors(t *testing.T) {
	testenv.Isolate(t)
	demo := recipient(t, testenv.DemoKeyFile())
	cases := []struct {
		name    string
		config  string
		target  string
		content string
		opts    secrets.FileEncryptOptions
		want    string
		is      error
	}{
		{name: "no recipients anywhere", target: "a/kc.yaml", content: rulesKubeconfig, is: secrets.ErrNoRecipients},
		{name: "configuration without creation rules", config: "stores:\n  yaml:\n    indent: 2\n", target: "a/kc.yaml", content: rulesKubeconfig, is: secrets.ErrNoRecipients, want: "has no creation_rules"},
		{name: "no matching rule", config: "creation_rules:\n  - path_regex: ^other/\n    age: " + demo + "\n", target: "a/kc.yaml", content: rulesKubeconfig, want: "no matching creation rules found"},
		{name: "no matching rule even with --age, like the CLI", config: "creation_rules:\n  - path_regex: ^other/\n    age: " + demo + "\n", target: "a/kc.yaml", content: rulesKubeconfig, opts: secrets.FileEncryptOptions{Age: []string{demo}}, want: "no matching creation rules found"},
		{name: "bad age recipient", target: "a/kc.yaml", content: rulesKubeconfig, opts: secrets.FileEncryptOptions{Age: []string{"age1nope"}}, want: `age recipient "age1nope"`},
		{name: "invalid YAML does not echo content", target: "a/kc.yaml", content: "a: [unclosed-secret-value-0123456789\n", opts: secrets.FileEncryptOptions{Age: []string{demo}}, want: "not a valid yaml document"},
		{name: "already encrypted", target: "a/kc.yaml", content: "a: ENC[x]\nsops:\n  version: 3.13.3\n", opts: secrets.FileEncryptOptions{Age: []string{demo}}, want: "already SOPS-encrypted"},
		{name: "missing explicit configuration", target: "a/kc.yaml", content: rulesKubeconfig, opts: secrets.FileEncryptOptions{ConfigFile: "/nonexistent/.sops.yaml"}, want: "/nonexistent/.sops.yaml"},
		{name: "SOPS_CONFIG is honoured", target: "a/kc.yaml", content: rulesKubeconfig, opts: secrets.FileEncryptOptions{Getenv: func(k string) string {
			if k == "SOPS_CONFIG" {
				return "/nonexistent/sops-config.yaml"
			}
			return ""
		}}, want: "/nonexistent/sops-config.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			if c.config != "" {
				if err := os.WriteFile(filepath.Join(repo, ".sops.yaml"), []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := NewEncryptor().EncryptFile([]byte(c.content), filepath.Join(repo, c.target), c.opts)
			if err == nil {
				t.Fatalf("EncryptFile succeeded:\n%s", got.Data)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			if strings.Contains(err.Error(), "0123456789") {
				t.Errorf("error %q echoes the content", err)
			}
		})
	}
}

func TestEncryptFileUsesAnExplicitConfiguration(t *testing.T) {
	testenv.Isolate(t)
	demo := recipient(t, testenv.DemoKeyFile())
	repo := t.TempDir()
	// A .sops.yaml next to the target that must be ignored in favour of the explicit one.
	if err := os.WriteFile(filepath.Join(repo, ".sops.yaml"), []byte("creation_rules:\n  - path_regex: ^nothing$\n    age: "+demo+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	explicit := filepath.Join(t.TempDir(), "sops.yaml")
	if err := os.WriteFile(explicit, []byte("creation_rules:\n  - age: "+demo+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := NewEncryptor().EncryptFile([]byte(rulesToken), filepath.Join(repo, "px-token.enc"), secrets.FileEncryptOptions{ConfigFile: explicit})
	if err != nil {
		t.Fatal(err)
	}
	if got.ConfigFile != explicit || len(got.Recipients) != 1 || got.Recipients[0] != "age "+demo {
		t.Errorf("ConfigFile %q, Recipients %v", got.ConfigFile, got.Recipients)
	}
}
