package fn_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

func demoRecipient(t *testing.T) string { return testenv.Recipient(t, testenv.DemoKeyFile()) }

// encryptedRequest is a request whose output is encrypted to recipient.
func encryptedRequest(name, recipient, extra string, annotations ...string) string {
	return request(name, "app", "kubeconfig.yaml", annotations...) + "  output:\n    encrypt:\n      age: [" + recipient + "]\n" + extra
}

func findItem(rl *sdk.ResourceList, kind string) *sdk.KubeObject {
	for _, it := range rl.Items {
		if it.GetKind() == kind {
			return it
		}
	}
	return nil
}

// plaintextOf decrypts an encrypted object with the sops library.
func plaintextOf(t *testing.T, obj *sdk.KubeObject) map[string]any {
	t.Helper()
	doc, err := testsops.NewDecryptor().Decrypt("output", []byte(obj.String()), secrets.FormatYAML)
	if err != nil {
		t.Fatalf("the encrypted output does not decrypt: %v", err)
	}
	v, err := doc.Whole("output")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(v.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEncryptedOutputDecryptsToThePlaintextRendering(t *testing.T) {
	dir := fixtureDir(t)
	recipient := demoRecipient(t)
	plain, stderr, err := run(t, dir, resourceList(t, "", request("a", "app", "kubeconfig.yaml")))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	enc, stderr, err := run(t, dir, resourceList(t, "", encryptedRequest("a", recipient, "")))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pair := findItem(enc, "ClusterPair")
	text := pair.String()
	for _, want := range []string{"mac_only_encrypted: true", "encrypted_regex: ^(spec|data|stringData)$", "name: a\n", "app.kubernetes.io/managed-by: clusterpair-fn", "ENC[AES256_GCM"} {
		if !strings.Contains(text, want) {
			t.Errorf("encrypted output lacks %q:\n%s", want, text)
		}
	}
	for _, secret := range fixtureSecrets(t) {
		if strings.Contains(text, secret) {
			t.Fatalf("encrypted output contains a plaintext secret")
		}
	}
	want := map[string]any{}
	if err := yaml.Unmarshal([]byte(findItem(plain, "ClusterPair").String()), &want); err != nil {
		t.Fatal(err)
	}
	got := plaintextOf(t, pair)
	gotJSON, _ := yaml.Marshal(got)
	wantJSON, _ := yaml.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("decrypted output differs from the plaintext rendering\n--- want\n%s\n--- got\n%s", wantJSON, gotJSON)
	}

	// The sops CLI decrypts it too, to the same object.
	sops := testenv.Tool(t, "sops")
	cmd := exec.Command(sops, "--disable-version-check", "decrypt", "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin")
	cmd.Stdin = strings.NewReader(text)
	cmd.Env = testenv.IsolatedEnv(t.TempDir(), "SOPS_AGE_KEY_FILE="+testenv.DemoKeyFile())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sops decrypt: %v\n%s", err, out)
	}
	var cli map[string]any
	if err := yaml.Unmarshal(out, &cli); err != nil {
		t.Fatal(err)
	}
	cliYAML, _ := yaml.Marshal(cli)
	if !bytes.Equal(cliYAML, wantJSON) {
		t.Errorf("sops CLI decryption differs\n--- want\n%s\n--- got\n%s", wantJSON, cliYAML)
	}
}

func TestEncryptedOutputIsStableAndTamperEvident(t *testing.T) {
	dir := fixtureDir(t)
	recipient := demoRecipient(t)
	first, stderr, err := run(t, dir, resourceList(t, "", encryptedRequest("a", recipient, "")))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	firstYAML, _ := first.ToYAML()

	// Unchanged input, earlier output among the items (as kpt passes it): same bytes.
	second, stderr, err := run(t, dir, firstYAML)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	secondYAML, _ := second.ToYAML()
	if !bytes.Equal(firstYAML, secondYAML) {
		t.Fatalf("re-rendering unchanged input changed the ciphertext")
	}

	// A changed input re-encrypts, and the new ciphertext holds the new value.
	changed := strings.Replace(string(firstYAML), "ip: px.example.com", "ip: px2.example.com", 1)
	third, stderr, err := run(t, dir, []byte(changed))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pair := findItem(third, "ClusterPair")
	if pair.String() == findItem(first, "ClusterPair").String() {
		t.Fatal("changing the request kept the old ciphertext")
	}
	options := plaintextOf(t, pair)["spec"].(map[string]any)["options"].(map[string]any)
	if options["ip"] != "px2.example.com" {
		t.Errorf("re-encrypted ip = %v", options["ip"])
	}

	// Tampering with a value is detected.
	text := findItem(first, "ClusterPair").String()
	i := strings.Index(text, "ENC[AES256_GCM,data:") + len("ENC[AES256_GCM,data:")
	b := []byte(text)
	b[i] ^= 1
	if b[i] == '+' || b[i] == '/' || b[i] == '=' {
		b[i] = 'Q'
	}
	if _, err := testsops.NewDecryptor().Decrypt("tampered", b, secrets.FormatYAML); secrets.ReasonOf(err) != secrets.ReasonTampered {
		t.Errorf("tampered output: err = %v, want ReasonTampered", err)
	}
}

func TestOutputFileKeepsCiphertextStable(t *testing.T) {
	dir := fixtureDir(t)
	recipient := demoRecipient(t)
	req := encryptedRequest("a", recipient, "    file: rendered/clusterpair.yaml\n")
	first, stderr, err := run(t, dir, resourceList(t, req))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pair := findItem(first, "ClusterPair")
	if err := os.MkdirAll(filepath.Join(dir, "rendered"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rendered", "clusterpair.yaml"), []byte(pair.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	second, stderr, err := run(t, dir, resourceList(t, req))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got := findItem(second, "ClusterPair").String(); got != pair.String() {
		t.Errorf("output.file did not keep the ciphertext:\n--- first\n%s\n--- second\n%s", pair.String(), got)
	}
}

func TestEarlierOutputThatCannotBeDecryptedIsReplacedWithAWarning(t *testing.T) {
	dir := fixtureDir(t)
	otherRecipient := testenv.Recipient(t, testenv.OtherKeyFile())
	first, stderr, err := run(t, dir, resourceList(t, "", encryptedRequest("a", otherRecipient, "")))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	firstYAML, _ := first.ToYAML()
	second, stderr, err := run(t, dir, firstYAML)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "cannot be decrypted here") {
		t.Errorf("want a warning about the undecryptable earlier output, got:\n%s", stderr)
	}
	if findItem(second, "ClusterPair").String() == findItem(first, "ClusterPair").String() {
		t.Error("the undecryptable output was kept; it cannot be known to match")
	}
}

func TestPlaintextGuardUnderKptRender(t *testing.T) {
	dir := fixtureDir(t)
	recipient := demoRecipient(t)
	kpt := []string{"internal.config.kubernetes.io/package-path", dir, "internal.config.kubernetes.io/path", "request.yaml"}
	cases := []struct {
		name, request string
		wantErr       bool
	}{
		{"plaintext refused", request("a", "app", "kubeconfig.yaml", kpt...), true},
		{"plaintext allowed", request("a", "app", "kubeconfig.yaml", kpt...) + "  output:\n    plaintext: allow\n", false},
		{"encrypted", encryptedRequest("a", recipient, "", kpt...), false},
		{"no package-path (kustomize, kpt eval)", request("a", "app", "kubeconfig.yaml"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rl, stderr, err := run(t, dir, resourceList(t, "", c.request))
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v\n%s", err, c.wantErr, stderr)
			}
			if c.wantErr && (!strings.Contains(stderr, "spec.output.encrypt") || findItem(rl, "ClusterPair") != nil) {
				t.Errorf("stderr = %s", stderr)
			}
		})
	}
}

func TestEncryptionToAKeyThatCannotBeUsedFails(t *testing.T) {
	dir := fixtureDir(t)
	req := request("a", "app", "kubeconfig.yaml") + "  output:\n    encrypt:\n      pgp: [FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4]\n"
	_, stderr, err := run(t, dir, resourceList(t, "", req))
	if err == nil || !strings.Contains(stderr, "spec.output.encrypt") || !strings.Contains(stderr, "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4") {
		t.Fatalf("err = %v\n%s", err, stderr)
	}
}

func TestKeyGroupsWithThreshold(t *testing.T) {
	dir := fixtureDir(t)
	other, _ := os.ReadFile(testenv.OtherKeyFile())
	otherRecipient := testenv.Recipient(t, testenv.OtherKeyFile())
	req := request("a", "app", "kubeconfig.yaml") + "  output:\n    encrypt:\n      shamirThreshold: 2\n      keyGroups:\n        - age: [" + demoRecipient(t) + "]\n        - age: [" + otherRecipient + "]\n"
	rl, stderr, err := run(t, dir, resourceList(t, "", req))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pair := findItem(rl, "ClusterPair")
	if !strings.Contains(pair.String(), "shamir_threshold: 2") {
		t.Errorf("no shamir threshold in:\n%s", pair.String())
	}
	// One group's key is not enough; both are.
	if _, err := testsops.NewDecryptor().Decrypt("output", []byte(pair.String()), secrets.FormatYAML); secrets.ReasonOf(err) != secrets.ReasonNoKey {
		t.Errorf("decrypting with one of two required groups: err = %v, want ReasonNoKey", err)
	}
	both := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(both, append(must(os.ReadFile(testenv.DemoKeyFile())), other...), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", both)
	plaintextOf(t, pair)
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestNilEncryptorRefusesOnlyOutputEncrypt: a Processor without an
// Encryptor renders plaintext output, and reports a request that asks for
// encryption as an error (nothing rendered), naming the missing encryptor.
func TestNilEncryptorRefusesOnlyOutputEncrypt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     string
		wantErr bool
	}{
		{"output.encrypt", encryptedRequest("a", demoRecipient(t), ""), true},
		{"plaintext output", request("a", "app", "kubeconfig.yaml"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Root: fixtureDir(t), Log: &stderr}
			err := fn.Run(p, bytes.NewReader(resourceList(t, "", tc.req)), &stdout)
			rl, perr := sdk.ParseResourceList(stdout.Bytes())
			if perr != nil {
				t.Fatalf("output is not a ResourceList: %v", perr)
			}
			if !tc.wantErr {
				if err != nil || findItem(rl, "ClusterPair") == nil {
					t.Fatalf("err = %v, ClusterPair rendered: %v\n%s", err, findItem(rl, "ClusterPair") != nil, stderr.String())
				}
				return
			}
			if !errors.Is(err, fn.ErrFailed) || findItem(rl, "ClusterPair") != nil {
				t.Fatalf("err = %v, want fn.ErrFailed and nothing rendered", err)
			}
			want := "spec.output.encrypt: encrypting the ClusterPair: " + secrets.ErrNoEncryptor.Error()
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
		})
	}
}

// TestEarlierOutputIsReusedOnlyAsWritten (found by review): earlier
// encrypted output is the repository's; it is reused only when its sops
// metadata is what this render would write.
func TestEarlierOutputIsReusedOnlyAsWritten(t *testing.T) {
	const age1, age2 = "age1snz59ekfa09wkfehw60xme7ztqtx758arxz202lcu67uhr55yq2s9u4l5c", "age1other"
	obj := func(sops, spec string) *sdk.KubeObject {
		o, err := sdk.ParseKubeObject([]byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n" + spec + "sops:\n" + sops))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	enc := "data:\n  k: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n"
	written := "  age:\n    - recipient: " + age1 + "\n      enc: x\n  encrypted_regex: ^(spec|data|stringData)$\n  mac_only_encrypted: true\n"
	opts := secrets.EncryptOptions{Groups: []secrets.KeyGroup{{Age: []string{age1}}}, EncryptedRegex: fn.EncryptedRegex, MACOnlyEncrypted: true}
	cases := []struct {
		name  string
		o     *sdk.KubeObject
		reuse bool
	}{
		{"as written", obj(written, enc), true},
		{"a plaintext value", obj(written, "data:\n  k: plain\n"), false},
		{"another encrypted_regex", obj(strings.Replace(written, "^(spec|data|stringData)$", "^nothing$", 1), enc), false},
		{"not mac-only", obj(strings.Replace(written, "true", "false", 1), enc), false},
		{"another recipient", obj(strings.Replace(written, age1, age2, 1), enc), false},
		{"an extra recipient", obj(written+"  pgp:\n    - fp: ABCD\n", enc), false},
	}
	for _, c := range cases {
		if got := fn.FullyEncrypted(c.o) && fn.SameEncryption(c.o, opts); got != c.reuse {
			t.Errorf("%s: reused = %v, want %v", c.name, got, c.reuse)
		}
	}
}
