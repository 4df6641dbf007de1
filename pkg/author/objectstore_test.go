package author

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// lookup decrypts an encrypted YAML file of the pair with the demo key and
// returns the value at key.
func lookup(t *testing.T, file, key string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testsops.NewDecryptor().Decrypt(filepath.Base(file), data, secrets.FormatYAML)
	if err != nil {
		t.Fatalf("decrypting %s: %v", file, err)
	}
	v, err := doc.Lookup(filepath.Base(file), key)
	if err != nil {
		t.Fatalf("%s %s: %v", file, key, err)
	}
	return v.Reveal()
}

// googleKey is a Google service-account JSON key (a test key).
func googleKey(t *testing.T, f *fixture) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "px-dr-west", "private_key_id": randomHex(t), "private_key": string(f.west.KeyPEM),
		"client_email": "px@px-dr.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewWritesEachObjectStoreProvider(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	inputs := t.TempDir()
	write := func(name, value string) string {
		p := filepath.Join(inputs, name)
		if err := os.WriteFile(p, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	azureKey, encKey, gKey := "azure-key-"+randomHex(t), "enc-key-"+randomHex(t), googleKey(t, f)
	env := map[string]string{"AZ_KEY": azureKey}
	cases := []struct {
		name  string
		store ObjectStoreOptions
		keys  map[string]string // ObjectStoreFile key: value
		check func(t *testing.T, o *v1alpha1.ObjectStore)
	}{
		{name: "azure with an encryption key", store: ObjectStoreOptions{
			Provider: "azure", Bucket: "px-dr", AzureAccountName: "pxdrwest", AzureEnvironment: "AzureChinaCloud", AzureResourceGroup: "rg-dr",
			AzureAccountKeyEnv: "AZ_KEY", EncryptionKeyFile: write("enc", encKey+"\n"),
		}, keys: map[string]string{"azure.accountKey": azureKey, "encryptionKey": encKey + "\n"},
			check: func(t *testing.T, o *v1alpha1.ObjectStore) {
				a := o.Azure
				if a == nil || a.AccountName != "pxdrwest" || a.Environment != "AzureChinaCloud" || a.ResourceGroup != "rg-dr" ||
					a.AccountKey.Key != "azure.accountKey" || o.EncryptionKey == nil || o.EncryptionKey.Key != "encryptionKey" {
					t.Errorf("spec.objectStore = %+v, azure %+v", o, a)
				}
			}},
		{name: "google", store: ObjectStoreOptions{
			Provider: "google", Bucket: "px-dr-west", GoogleProjectID: "px-dr-west", GoogleAccountKeyFile: write("key.json", gKey),
		}, keys: map[string]string{"google.accountKey": gKey},
			check: func(t *testing.T, o *v1alpha1.ObjectStore) {
				if g := o.Google; g == nil || g.ProjectID != "px-dr-west" || g.AccountKey != (v1alpha1.SecretRef{File: ObjectStoreFile, Key: "google.accountKey"}) {
					t.Errorf("spec.objectStore.google = %+v", o.Google)
				}
			}},
		{name: "s3-compatible over http", store: ObjectStoreOptions{
			Provider: "s3", Bucket: "px-dr", S3Endpoint: "minio.example.com:9000", S3DisableSSL: true, S3StorageClass: "STANDARD_IA", S3SSE: "AES256",
			S3AccessKeyIDFile: write("id", "minio-id"), S3SecretAccessKeyEnv: "AZ_KEY",
		}, keys: map[string]string{"s3.accessKeyID": "minio-id", "s3.secretAccessKey": azureKey},
			check: func(t *testing.T, o *v1alpha1.ObjectStore) {
				if s := o.S3; s == nil || s.Endpoint != "minio.example.com:9000" || !s.DisableSSL || s.StorageClass != "STANDARD_IA" || s.SSE != "AES256" || s.Region != v1alpha1.DefaultS3Region {
					t.Errorf("spec.objectStore.s3 = %+v", o.S3)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pair")
			opts := options(t, f, dir)
			opts.ObjectStore = c.store
			opts.Getenv = func(k string) string { return env[k] }
			res, err := New(opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			for key, want := range c.keys {
				if got := lookup(t, filepath.Join(dir, ObjectStoreFile), key); got != want {
					t.Errorf("%s does not decrypt to the input (%d bytes, want %d)", key, len(got), len(want))
				}
			}
			assertNoSecrets(t, dir, []string{azureKey, encKey, "minio-id", pemBody(f.west.KeyPEM)})
			for _, w := range res.Warnings {
				if strings.Contains(Describe(w), azureKey) {
					t.Error("a warning holds a credential")
				}
			}
			data, _ := os.ReadFile(filepath.Join(dir, RequestFile))
			req, fs := v1alpha1.Load(data)
			if fs.HasErrors() {
				t.Fatalf("the request does not load: %v", fs)
			}
			if o := req.Spec.ObjectStore; o == nil || o.Provider != v1alpha1.ObjectStoreProvider(c.store.Provider) || o.Bucket != c.store.Bucket {
				t.Fatalf("spec.objectStore = %+v", o)
			}
			c.check(t, req.Spec.ObjectStore)
		})
	}
}

func TestNewRefusesBadObjectStoreFlags(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	inputs := t.TempDir()
	latin1 := filepath.Join(inputs, "latin1")
	if err := os.WriteFile(latin1, []byte{0xe9, 't', 0xe9}, 0o600); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(inputs, "key.json")
	if err := os.WriteFile(notJSON, []byte("not-a-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	s3 := func(o *Options) *ObjectStoreOptions { return &o.ObjectStore }
	cases := []struct {
		name     string
		modify   func(*Options)
		want     string
		findings bool
	}{
		{name: "unknown provider", modify: func(o *Options) { s3(o).Provider = "nfs" }, want: `--object-store "nfs": use s3|azure|google`},
		{name: "missing bucket", modify: func(o *Options) { s3(o).Bucket = "" }, want: "--bucket is required with --object-store s3"},
		{name: "provider flags without a provider", modify: func(o *Options) { s3(o).Provider = "" }, want: "--s3-access-key-id-env, --s3-region, --s3-secret-access-key-file, --bucket: give the object store's provider with --object-store s3|azure|google"},
		{name: "another provider's flag", modify: func(o *Options) { s3(o).AzureAccountName = "x" }, want: "--azure-account-name: for --object-store azure, not s3"},
		{name: "a credential is required", modify: func(o *Options) { s3(o).S3SecretAccessKeyFile = "" }, want: "--s3-secret-access-key-file or --s3-secret-access-key-env is required with --object-store s3"},
		{name: "file and env", modify: func(o *Options) { s3(o).S3AccessKeyIDFile = "x" }, want: "give --s3-access-key-id-file or --s3-access-key-id-env, not both"},
		{name: "credential variable unset", modify: func(o *Options) { s3(o).S3AccessKeyIDEnv = "UNSET_S3" }, want: "the variable named by --s3-access-key-id-env is not set or is empty"},
		{name: "credential variable empty", modify: func(o *Options) {
			getenv := o.Getenv
			o.Getenv = func(k string) string {
				if k == "S3_KEY_ID" {
					return ""
				}
				return getenv(k)
			}
		}, want: "the variable named by --s3-access-key-id-env is not set or is empty"},
		{name: "missing credential file", modify: func(o *Options) { s3(o).S3SecretAccessKeyFile = filepath.Join(inputs, "nope") }, want: "the file given to --s3-secret-access-key-file cannot be opened: no such file or directory"},
		{name: "credential not text", modify: func(o *Options) { s3(o).S3SecretAccessKeyFile = latin1 }, want: "--s3-secret-access-key-file or --s3-secret-access-key-env: the value is not UTF-8 text"},
		{name: "two flags read stdin", modify: func(o *Options) { o.TokenFile, s3(o).S3SecretAccessKeyFile = "-", "-" }, want: "--token-file - and --s3-secret-access-key-file -"},
		{name: "one encryption key source", modify: func(o *Options) { s3(o).EncryptionKeyFile, s3(o).EncryptionKeyEnv = "a", "B" }, want: "give --object-store-encryption-key-file or --object-store-encryption-key-env, not both"},
		{name: "sync-dr takes none", modify: func(o *Options) { o.Mode, o.PXEndpoint, o.TokenFile, o.Reverse = "sync-dr", "", "", SideOptions{} }, want: "--mode sync-dr takes none"},
		{name: "invalid bucket", modify: func(o *Options) { s3(o).Bucket = "PX_DR" }, want: "--bucket (spec.objectStore.bucket)", findings: true},
		{name: "invalid region", modify: func(o *Options) { s3(o).S3Region = "EU" }, want: "--s3-region (spec.objectStore.s3.region)", findings: true},
		{name: "invalid sse", modify: func(o *Options) { s3(o).S3SSE = "rot13" }, want: "--s3-sse (spec.objectStore.s3.sse)", findings: true},
		{name: "azure needs an account name", modify: func(o *Options) {
			*s3(o) = ObjectStoreOptions{Provider: "azure", Bucket: "px-dr", AzureAccountKeyEnv: "S3_KEY_ID"}
		}, want: "--azure-account-name (spec.objectStore.azure.accountName)", findings: true},
		{name: "google key that is not JSON", modify: func(o *Options) {
			*s3(o) = ObjectStoreOptions{Provider: "google", Bucket: "px-dr", GoogleProjectID: "px-dr-west", GoogleAccountKeyFile: notJSON}
		}, want: "--google-account-key-file/--google-account-key-env (spec.objectStore.google.accountKey): the decrypted value is not a JSON object", findings: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pair")
			opts, in := bidiOptions(t, f, dir)
			c.modify(&opts)
			res, err := New(opts)
			assertRefused(t, res, err, dir, c.want, c.findings, append(in.secrets, "not-a-key"))
		})
	}
}

// TestNewRefusesAnObjectStoreRuleThatLeaves: a creation rule for
// objectstore.yaml written for Kubernetes Secrets would leave the
// credentials readable: refused, nothing written.
func TestNewRefusesAnObjectStoreRuleThatLeaves(t *testing.T) {
	testenv.Isolate(t)
	f := newFixture(t)
	repo := t.TempDir()
	demo := demoRecipient(t)
	rules := "creation_rules:\n" +
		"  - path_regex: objectstore\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: " + demo + "\n" +
		"  - age: " + demo + "\n"
	if err := os.WriteFile(filepath.Join(repo, ".sops.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repo, "pair")
	opts, in := bidiOptions(t, f, dir)
	opts.Age = nil
	_, err := New(opts)
	if err == nil || !strings.Contains(err.Error(), "the sops creation rule for objectstore.yaml ("+filepath.Join(repo, ".sops.yaml")+") would leave credentials readable (s3.accessKeyID, s3.secretAccessKey, a credential)") {
		t.Fatalf("New under a Secrets-only rule for objectstore.yaml: %v", err)
	}
	for _, s := range in.secrets {
		if strings.Contains(err.Error(), s) {
			t.Error("the error reveals a credential")
		}
	}
	if files := listFiles(t, dir); len(files) > 0 {
		t.Errorf("files written: %v", files)
	}
}
