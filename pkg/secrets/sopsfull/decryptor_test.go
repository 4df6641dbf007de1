package sopsfull

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getsops/sops/v3"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// recipient returns the age recipient (public key) of an identity file.
func recipient(t *testing.T, keyFile string) string {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r := regexp.MustCompile(`age1[0-9a-z]{50,}`).Find(data)
	if r == nil {
		t.Fatalf("no age recipient in %s", keyFile)
	}
	return string(r)
}

// cliYAML decrypts a fixture with the sops CLI and parses it, for comparison
// with what this package extracts.
func cliYAML(t *testing.T, file string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(secretstest.MustSOPSDecrypt(t, file), &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc
}

func dig(t *testing.T, doc any, path ...any) string {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			doc = doc.(map[string]any)[k]
		case int:
			doc = doc.([]any)[k]
		}
	}
	s, ok := doc.(string)
	if !ok {
		t.Fatalf("%v is a %T, not a string", path, doc)
	}
	return s
}

func TestResolveGoodFixtures(t *testing.T) {
	testenv.UseDemoKey(t)
	secretsDoc := cliYAML(t, secretstest.SrcFixture("secrets.yaml"))
	listDoc := cliYAML(t, secretstest.LocalFixture("list.yaml"))
	jsonDoc := cliYAML(t, secretstest.LocalFixture("config.json"))
	pxEnv := secretstest.MustSOPSDecrypt(t, secretstest.SrcFixture("px.env"))
	ini := string(secretstest.MustSOPSDecrypt(t, secretstest.LocalFixture("settings.ini")))
	iniToken := regexp.MustCompile(`(?m)^token\s*=\s*(\S+)$`).FindStringSubmatch(ini)
	if iniToken == nil {
		t.Fatalf("no token in the decrypted INI:\n%s", ini)
	}
	dir := secretstest.FixtureDir(t)
	// Format override: a YAML and a dotenv file under names whose extension says binary.
	copyFile(t, filepath.Join(dir, "secrets.yaml"), filepath.Join(dir, "secrets.txt"))
	copyFile(t, filepath.Join(dir, "px.env"), filepath.Join(dir, "px.txt"))
	copyFile(t, filepath.Join(dir, "secrets.yaml"), filepath.Join(dir, "secrets.data"))
	res := secrets.NewResolver(openRoot(t, dir), NewDecryptor())

	tests := []struct {
		name string
		ref  secrets.Ref
		want string
	}{
		{"whole kubeconfig", secrets.Ref{File: "kubeconfig.yaml"}, string(secretstest.MustSOPSDecrypt(t, secretstest.SrcFixture("kubeconfig.yaml")))},
		{"whole binary token", secrets.Ref{File: "token.enc"}, string(secretstest.MustSOPSDecrypt(t, secretstest.SrcFixture("token.enc")))},
		{"whole binary token with whitespace", secrets.Ref{File: "token-ws.enc"}, string(secretstest.MustSOPSDecrypt(t, secretstest.SrcFixture("token-ws.enc")))},
		{"whole dotenv", secrets.Ref{File: "px.env"}, string(pxEnv)},
		{"yaml key", secrets.Ref{File: "secrets.yaml", Key: "portworx.token"}, dig(t, secretsDoc, "portworx", "token")},
		{"yaml second key", secrets.Ref{File: "secrets.yaml", Key: "portworx.endpoint"}, "px.destination.example.com"},
		{"yaml subtree", secrets.Ref{File: "secrets.yaml", Key: "portworx"}, "token: " + dig(t, secretsDoc, "portworx", "token") + "\nendpoint: px.destination.example.com\n"},
		{"mac_only_encrypted", secrets.Ref{File: "secrets-mac-only.yaml", Key: "portworx.token"}, dig(t, secretsDoc, "portworx", "token")},
		{"dotenv key", secrets.Ref{File: "px.env", Key: "PX_TOKEN"}, secretstest.EnvValue(t, pxEnv, "PX_TOKEN")},
		{"kubeconfig nested key", secrets.Ref{File: "kubeconfig.yaml", Key: "current-context"}, "destination"},
		{"list index", secrets.Ref{File: "list.yaml", Key: "clusters.0.token"}, dig(t, listDoc, "clusters", 0, "token")},
		{"list index after comments", secrets.Ref{File: "list.yaml", Key: "clusters.1.token"}, dig(t, listDoc, "clusters", 1, "token")},
		{"list index name", secrets.Ref{File: "list.yaml", Key: "clusters.1.name"}, "beta"},
		{"list of ints", secrets.Ref{File: "list.yaml", Key: "ports.1"}, "443"},
		{"whole list", secrets.Ref{File: "list.yaml", Key: "ports"}, "- 6443\n- 443\n"},
		{"list item mapping", secrets.Ref{File: "list.yaml", Key: "clusters.0"}, "name: alpha\ntoken: " + dig(t, listDoc, "clusters", 0, "token") + "\n"},
		{"bool", secrets.Ref{File: "list.yaml", Key: "enabled"}, "true"},
		{"float", secrets.Ref{File: "list.yaml", Key: "ratio"}, "0.5"},
		{"int", secrets.Ref{File: "list.yaml", Key: "count"}, "3"},
		{"ini section.key", secrets.Ref{File: "settings.ini", Key: "portworx.token"}, iniToken[1]},
		{"json key", secrets.Ref{File: "config.json", Key: "portworx.token"}, dig(t, jsonDoc, "portworx", "token")},
		{"json number", secrets.Ref{File: "config.json", Key: "portworx.port"}, "9001"},
		{"format override yaml on .txt", secrets.Ref{File: "secrets.txt", Format: "yaml", Key: "portworx.token"}, dig(t, secretsDoc, "portworx", "token")},
		{"format override dotenv on .txt", secrets.Ref{File: "px.txt", Format: "dotenv", Key: "PX_TOKEN"}, secretstest.EnvValue(t, pxEnv, "PX_TOKEN")},
		{"format override whole yaml", secrets.Ref{File: "secrets.data", Format: "yaml"}, string(secretstest.MustSOPSDecrypt(t, secretstest.SrcFixture("secrets.yaml")))},
		{"nested dir and dot slash", secrets.Ref{File: "./secrets.yaml", Key: "portworx.endpoint"}, "px.destination.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := res.Resolve(tt.ref)
			if err != nil {
				t.Fatalf("Resolve(%+v): %v", tt.ref, err)
			}
			if v.Reveal() != tt.want {
				t.Fatalf("Resolve(%+v) = %q, want %q", tt.ref, v.Reveal(), tt.want)
			}
			if !bytes.Equal(v.Bytes(), []byte(tt.want)) || v.Len() != len(tt.want) {
				t.Fatalf("Bytes/Len disagree with Reveal")
			}
		})
	}

	// The whole kubeconfig is a kubeconfig.
	v, err := res.Resolve(secrets.Ref{File: "kubeconfig.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var kc map[string]any
	if err := yaml.Unmarshal(v.Bytes(), &kc); err != nil {
		t.Fatalf("the decrypted kubeconfig is not YAML: %v", err)
	}
	if kc["current-context"] != "destination" || !strings.Contains(v.Reveal(), "current-context: destination") {
		t.Fatalf("decrypted kubeconfig has current-context %v", kc["current-context"])
	}
	if strings.Contains(v.Reveal(), "ENC[") || strings.Contains(v.Reveal(), "sops:") {
		t.Fatal("the decrypted kubeconfig still has ciphertext or sops metadata")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, to, string(data))
}

// errorCase is a reference that must fail, with the reason and message
// fragments the user needs, and never a secret.
type errorCase struct {
	name    string
	ref     secrets.Ref
	reason  secrets.Reason
	contain []string
	exclude []string
}

func runErrorCases(t *testing.T, res *secrets.Resolver, cases []errorCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			v, err := res.Resolve(tt.ref)
			if err == nil {
				t.Fatalf("Resolve(%+v) = %d bytes, want %q", tt.ref, v.Len(), tt.reason)
			}
			if v.Len() != 0 {
				t.Errorf("a failed Resolve returned %d bytes", v.Len())
			}
			e := errorWithReason(t, err, tt.reason)
			if e.File != tt.ref.File {
				t.Errorf("Error.File = %q, want %q", e.File, tt.ref.File)
			}
			secretstest.AssertContains(t, err.Error(), tt.contain...)
			for _, x := range tt.exclude {
				if strings.Contains(err.Error(), x) {
					t.Errorf("message %q contains %q", err, x)
				}
			}
		})
	}
}

func TestResolveErrorsWithDemoKey(t *testing.T) {
	testenv.UseDemoKey(t)
	other := recipient(t, testenv.OtherKeyFile())
	dir := secretstest.FixtureDir(t)
	// Plaintext documents, and damaged copies of good fixtures.
	mustWrite(t, filepath.Join(dir, "plain.yaml"), "portworx:\n  token: plain-yaml-token-0123456789abcdef\n")
	mustWrite(t, filepath.Join(dir, "plain.env"), "PX_TOKEN=plain-env-token-0123456789abcdef\n")
	mustWrite(t, filepath.Join(dir, "broken-plain.yaml"), "a: 1\nb: [unclosed-plaintext-value-0123456789\nc: 3\n")
	mustWrite(t, filepath.Join(dir, "multi.yaml"), "a: first-doc-value\n---\nb: second-doc-value\n")
	mustWrite(t, filepath.Join(dir, "empty.yaml"), "")
	mustWrite(t, filepath.Join(dir, "mentions-sops.txt"), "encrypt this with sops before committing\n")
	writeDamaged(t, dir)
	res := secrets.NewResolver(openRoot(t, dir), NewDecryptor())
	plainCanaries := []string{"plain-yaml-token-0123456789abcdef", "plain-env-token-0123456789abcdef", "unclosed-plaintext-value-0123456789"}

	cases := []errorCase{
		{name: "key on a binary file", ref: secrets.Ref{File: "token.enc", Key: "data"}, reason: secrets.ReasonKeyNotFound, contain: []string{"binary"}},
		{name: "missing key lists names", ref: secrets.Ref{File: "secrets.yaml", Key: "portworx.nope"}, reason: secrets.ReasonKeyNotFound,
			contain: []string{`"nope"`, "under portworx", `"token"`, `"endpoint"`}, exclude: []string{"px.destination.example.com"}},
		{name: "missing top-level key", ref: secrets.Ref{File: "secrets.yaml", Key: "storage"}, reason: secrets.ReasonKeyNotFound, contain: []string{`"portworx"`}},
		{name: "missing key deep in a kubeconfig", ref: secrets.Ref{File: "kubeconfig.yaml", Key: "users.0.user.token"}, reason: secrets.ReasonKeyNotFound,
			contain: []string{"under users.0.user", `"client-key-data"`, `"client-certificate-data"`}},
		{name: "missing dotenv key", ref: secrets.Ref{File: "px.env", Key: "TOKEN"}, reason: secrets.ReasonKeyNotFound, contain: []string{`"PX_TOKEN"`}},
		{name: "missing ini key", ref: secrets.Ref{File: "settings.ini", Key: "portworx.password"}, reason: secrets.ReasonKeyNotFound, contain: []string{`"token"`}},
		{name: "key below a scalar", ref: secrets.Ref{File: "secrets.yaml", Key: "portworx.token.inner"}, reason: secrets.ReasonKeyNotFound, contain: []string{"portworx.token is a scalar"}},
		{name: "key below a scalar in dotenv", ref: secrets.Ref{File: "px.env", Key: "PX_TOKEN.x"}, reason: secrets.ReasonKeyNotFound, contain: []string{"scalar"}},
		{name: "list index out of range", ref: secrets.Ref{File: "list.yaml", Key: "clusters.2.token"}, reason: secrets.ReasonKeyNotFound, contain: []string{"list of 2 items", `"2"`}},
		{name: "negative list index", ref: secrets.Ref{File: "list.yaml", Key: "clusters.-1"}, reason: secrets.ReasonKeyNotFound, contain: []string{"not an index"}},
		{name: "name instead of list index", ref: secrets.Ref{File: "list.yaml", Key: "clusters.alpha"}, reason: secrets.ReasonKeyNotFound, contain: []string{"not an index"}},
		{name: "empty key segment", ref: secrets.Ref{File: "secrets.yaml", Key: "portworx..token"}, reason: secrets.ReasonKeyNotFound},
		{name: "null value", ref: secrets.Ref{File: "list.yaml", Key: "nothing"}, reason: secrets.ReasonBadValue, contain: []string{"null"}},

		{name: "other key's file", ref: secrets.Ref{File: "kubeconfig-otherkey.yaml"}, reason: secrets.ReasonNoKey, contain: []string{"age " + other, "SOPS_AGE_KEY_FILE"}},
		{name: "tampered MAC", ref: secrets.Ref{File: "kubeconfig-tampered.yaml"}, reason: secrets.ReasonTampered, contain: []string{"modified"}},
		{name: "tampered MAC, by key", ref: secrets.Ref{File: "kubeconfig-tampered.yaml", Key: "current-context"}, reason: secrets.ReasonTampered},
		{name: "value removed", ref: secrets.Ref{File: "removed-value.yaml", Key: "portworx.token"}, reason: secrets.ReasonTampered, contain: []string{"MAC mismatch"}},
		{name: "ciphertext altered", ref: secrets.Ref{File: "altered-value.yaml", Key: "portworx.endpoint"}, reason: secrets.ReasonTampered, contain: []string{"does not decrypt"}},
		{name: "MAC ciphertext altered", ref: secrets.Ref{File: "altered-mac.yaml"}, reason: secrets.ReasonTampered, contain: []string{"MAC"}},
		{name: "lastmodified altered", ref: secrets.Ref{File: "altered-date.yaml"}, reason: secrets.ReasonTampered, contain: []string{"MAC"}},
		{name: "dotenv value altered", ref: secrets.Ref{File: "altered.env", Key: "PX_TOKEN"}, reason: secrets.ReasonTampered},
		{name: "binary value altered", ref: secrets.Ref{File: "altered.enc"}, reason: secrets.ReasonTampered},

		{name: "truncated yaml", ref: secrets.Ref{File: "kubeconfig-truncated.yaml"}, reason: secrets.ReasonMalformed},
		{name: "truncated yaml, by key", ref: secrets.Ref{File: "kubeconfig-truncated.yaml", Key: "current-context", AllowUnencrypted: true}, reason: secrets.ReasonMalformed},
		{name: "yaml cut before its metadata", ref: secrets.Ref{File: "cut-before-sops.yaml"}, reason: secrets.ReasonMalformed, contain: []string{"no sops metadata"}},
		{name: "yaml cut before its metadata, plaintext allowed", ref: secrets.Ref{File: "cut-before-sops.yaml", AllowUnencrypted: true}, reason: secrets.ReasonMalformed},
		{name: "truncated dotenv", ref: secrets.Ref{File: "truncated.env"}, reason: secrets.ReasonMalformed},
		{name: "truncated binary", ref: secrets.Ref{File: "truncated.enc"}, reason: secrets.ReasonMalformed},
		{name: "truncated binary, plaintext allowed", ref: secrets.Ref{File: "truncated.enc", AllowUnencrypted: true}, reason: secrets.ReasonMalformed},
		{name: "truncated binary, cut before its metadata", ref: secrets.Ref{File: "cut-early.enc", AllowUnencrypted: true}, reason: secrets.ReasonMalformed},
		{name: "truncated json", ref: secrets.Ref{File: "truncated.json", Key: "portworx.token"}, reason: secrets.ReasonMalformed},
		{name: "yaml read as binary", ref: secrets.Ref{File: "secrets.data"}, reason: secrets.ReasonMalformed},

		{name: "plaintext token", ref: secrets.Ref{File: "token-plaintext.txt"}, reason: secrets.ReasonPlaintext, contain: []string{"allowUnencrypted", "sops encrypt"}},
		{name: "plaintext yaml", ref: secrets.Ref{File: "plain.yaml", Key: "portworx.token"}, reason: secrets.ReasonPlaintext},
		{name: "plaintext dotenv", ref: secrets.Ref{File: "plain.env", Key: "PX_TOKEN"}, reason: secrets.ReasonPlaintext},
		{name: "empty yaml", ref: secrets.Ref{File: "empty.yaml"}, reason: secrets.ReasonPlaintext},
		{name: "plaintext mentioning sops", ref: secrets.Ref{File: "mentions-sops.txt"}, reason: secrets.ReasonPlaintext},
		{name: "invalid plaintext yaml", ref: secrets.Ref{File: "broken-plain.yaml"}, reason: secrets.ReasonMalformed, contain: []string{"line"}},
		{name: "invalid plaintext yaml, allowed", ref: secrets.Ref{File: "broken-plain.yaml", AllowUnencrypted: true}, reason: secrets.ReasonMalformed, contain: []string{"near line"}},
		{name: "multi-document whole", ref: secrets.Ref{File: "multi.yaml", AllowUnencrypted: true}, reason: secrets.ReasonBadValue, contain: []string{"2 YAML documents"}},
		{name: "multi-document key", ref: secrets.Ref{File: "multi.yaml", Key: "a", AllowUnencrypted: true}, reason: secrets.ReasonBadValue, contain: []string{"2 YAML documents"}},

		{name: "missing file", ref: secrets.Ref{File: "nope.yaml"}, reason: secrets.ReasonNotFound},
		{name: "escape", ref: secrets.Ref{File: "../secrets.yaml"}, reason: secrets.ReasonPath},
	}
	runErrorCases(t, res, cases)
	for _, tt := range cases {
		if _, err := res.Resolve(tt.ref); err != nil {
			secretstest.AssertNoSecret(t, err.Error(), plainCanaries...)
		}
	}

	// Plaintext is accepted when allowed, and parsed in its format.
	plainOK := []struct {
		ref  secrets.Ref
		want string
	}{
		{secrets.Ref{File: "token-plaintext.txt", AllowUnencrypted: true}, secretstest.ReadFixture(t, "token-plaintext.txt")},
		{secrets.Ref{File: "plain.yaml", Key: "portworx.token", AllowUnencrypted: true}, "plain-yaml-token-0123456789abcdef"},
		{secrets.Ref{File: "plain.env", Key: "PX_TOKEN", AllowUnencrypted: true}, "plain-env-token-0123456789abcdef"},
		{secrets.Ref{File: "token-plaintext.txt", Format: "yaml", AllowUnencrypted: true}, ""}, // a YAML scalar document: refused below
		// Allowing plaintext does not stop decryption of an encrypted file.
		{secrets.Ref{File: "secrets.yaml", Key: "portworx.endpoint", AllowUnencrypted: true}, "px.destination.example.com"},
	}
	for _, tt := range plainOK {
		v, err := res.Resolve(tt.ref)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Resolve(%+v) accepted a YAML document that is a bare scalar", tt.ref)
			} else {
				assertReason(t, err, secrets.ReasonMalformed)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%+v): %v", tt.ref, err)
			continue
		}
		if v.Reveal() != tt.want {
			t.Errorf("Resolve(%+v) = %q, want %q", tt.ref, v.Reveal(), tt.want)
		}
	}
}

// writeDamaged writes damaged copies of good fixtures into dir.
func writeDamaged(t *testing.T, dir string) {
	t.Helper()
	read := func(name string) string { return secretstest.ReadFixture(t, name) }
	edit := func(out, in string, re *regexp.Regexp, repl func(string) string) {
		t.Helper()
		if !re.MatchString(in) {
			t.Fatalf("%s: %v does not match", out, re)
		}
		done := false
		mustWrite(t, filepath.Join(dir, out), re.ReplaceAllStringFunc(in, func(m string) string {
			if done {
				return m
			}
			done = true
			return repl(m)
		}))
	}
	// flip changes the first base64 character of the ciphertext after "data:".
	flip := func(m string) string {
		i := strings.Index(m, "data:") + len("data:")
		c := byte('A')
		if m[i] == 'A' {
			c = 'B'
		}
		return m[:i] + string(c) + m[i+1:]
	}
	secretsYAML := read("secrets.yaml")
	edit("removed-value.yaml", secretsYAML, regexp.MustCompile(`(?m)^    endpoint: .*\n`), func(string) string { return "" })
	edit("altered-value.yaml", secretsYAML, regexp.MustCompile(`endpoint: ENC\[AES256_GCM,data:[^,]+`), flip)
	edit("altered-mac.yaml", secretsYAML, regexp.MustCompile(`mac: ENC\[AES256_GCM,data:[^,]+`), flip)
	edit("altered-date.yaml", secretsYAML, regexp.MustCompile(`lastmodified: "[^"]+"`), func(string) string { return `lastmodified: "2001-01-01T00:00:00Z"` })
	edit("altered.env", read("px.env"), regexp.MustCompile(`PX_TOKEN=ENC\[AES256_GCM,data:[^,]+`), flip)
	edit("altered.enc", read("token.enc"), regexp.MustCompile(`"data": "ENC\[AES256_GCM,data:[^,]+`), flip)

	cut := func(out, in string, n int) {
		mustWrite(t, filepath.Join(dir, out), in[:n])
	}
	cut("cut-before-sops.yaml", secretsYAML, strings.Index(secretsYAML, "sops:"))
	pxEnv := read("px.env")
	cut("truncated.env", pxEnv, len(pxEnv)/2)
	token := read("token.enc")
	cut("truncated.enc", token, len(token)/2)
	cut("cut-early.enc", token, strings.Index(token, `"sops"`)-10)
	jsonFile, err := os.ReadFile(secretstest.LocalFixture("config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cut("truncated.json", string(jsonFile), len(jsonFile)/2)
	copyFile(t, filepath.Join(dir, "secrets.yaml"), filepath.Join(dir, "secrets.data"))
}

func TestResolveWrongKey(t *testing.T) {
	// Only other.agekey is available: the demo-key fixtures cannot be
	// decrypted, and the message names the recipient they need.
	testenv.Isolate(t)
	t.Setenv("SOPS_AGE_KEY_FILE", testenv.OtherKeyFile())
	demo := recipient(t, testenv.DemoKeyFile())
	res := fixtureResolver(t)
	runErrorCases(t, res, []errorCase{
		{name: "yaml", ref: secrets.Ref{File: "kubeconfig.yaml"}, reason: secrets.ReasonNoKey, contain: []string{"age " + demo}},
		{name: "yaml by key", ref: secrets.Ref{File: "secrets.yaml", Key: "portworx.token"}, reason: secrets.ReasonNoKey, contain: []string{"age " + demo}},
		{name: "dotenv", ref: secrets.Ref{File: "px.env", Key: "PX_TOKEN"}, reason: secrets.ReasonNoKey, contain: []string{"age " + demo}},
		{name: "binary", ref: secrets.Ref{File: "token.enc"}, reason: secrets.ReasonNoKey, contain: []string{"age " + demo}},
		{name: "even with plaintext allowed", ref: secrets.Ref{File: "token.enc", AllowUnencrypted: true}, reason: secrets.ReasonNoKey},
	})
	// The file encrypted to the other key does decrypt.
	v, err := res.Resolve(secrets.Ref{File: "kubeconfig-otherkey.yaml", Key: "current-context"})
	if err != nil || v.Reveal() != "destination" {
		t.Fatalf("kubeconfig-otherkey.yaml with other.agekey: %q, %v", v.Reveal(), err)
	}
}

func TestResolveNoKeyAtAll(t *testing.T) {
	testenv.Isolate(t)
	demo := recipient(t, testenv.DemoKeyFile())
	res := fixtureResolver(t)
	var cases []errorCase
	for _, f := range []string{"kubeconfig.yaml", "secrets.yaml", "secrets-mac-only.yaml", "px.env", "token.enc", "settings.ini", "config.json", "list.yaml"} {
		cases = append(cases, errorCase{name: f, ref: secrets.Ref{File: f}, reason: secrets.ReasonNoKey, contain: []string{demo, "SOPS_AGE_KEY"}})
	}
	runErrorCases(t, res, cases)
}

func TestDecryptorDirect(t *testing.T) {
	testenv.UseDemoKey(t)
	d := NewDecryptor()
	data, err := os.ReadFile(secretstest.SrcFixture("secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := d.Decrypt("secrets.yaml", data, secrets.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	v, err := doc.Lookup("secrets.yaml", "portworx.endpoint")
	if err != nil || v.Reveal() != "px.destination.example.com" {
		t.Fatalf("Lookup: %q, %v", v.Reveal(), err)
	}
	// Parse of an encrypted file is a plain load: the values stay ciphertext.
	doc, err = d.Parse("secrets.yaml", data, secrets.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	v, err = doc.Lookup("secrets.yaml", "portworx.endpoint")
	if err != nil || !strings.HasPrefix(v.Reveal(), "ENC[AES256_GCM,") {
		t.Fatalf("Parse then Lookup: %q, %v", v.Reveal(), err)
	}
	// Decrypt of plaintext says so.
	_, err = d.Decrypt("x.yaml", []byte("a: b\n"), secrets.FormatYAML)
	assertReason(t, err, secrets.ReasonPlaintext)
	_, err = d.Decrypt("x.bin", []byte("just text"), secrets.FormatBinary)
	assertReason(t, err, secrets.ReasonPlaintext)
}

func TestDescribeKeys(t *testing.T) {
	testenv.UseDemoKey(t)
	if got := describeKeys(sops.Metadata{}); got != "none listed" {
		t.Errorf("describeKeys(no keys) = %q", got)
	}
}

func TestLineHint(t *testing.T) {
	testenv.Isolate(t)
	for msg, want := range map[string]string{
		"yaml: line 12: did not find expected key":      " (near line 12)",
		"Error unmarshalling input YAML: yaml: line 3:": " (near line 3)",
		"invalid character 'x' looking for value":       "",
		"line abc":    "",
		"line 0: x":   "",
		"some line 7": " (near line 7)",
		"":            "",
	} {
		if got := lineHint(errors.New(msg)); got != want {
			t.Errorf("lineHint(%q) = %q, want %q", msg, got, want)
		}
	}
}
