package author

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// options returns options that succeed with the fixture, writing to dir.
func options(t *testing.T, f *fixture, dir string) Options {
	t.Helper()
	return Options{
		Name: "dr-west", Namespace: "app", Dir: dir,
		Kubeconfig: f.kubeconfig,
		PXEndpoint: "px-api.west.example.com",
		TokenFile:  filepath.Join(f.dir, "px-token"),
		Age:        []string{demoRecipient(t)},
		Encryptor:  testsops.NewEncryptor(),
	}
}

// decodeRequest reads the written request strictly, as the function does.
func decodeRequest(t *testing.T, dir string) *v1alpha1.ClusterPairRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, RequestFile))
	if err != nil {
		t.Fatal(err)
	}
	req, fs, err := v1alpha1.Decode(data)
	if err != nil || len(fs) > 0 {
		t.Fatalf("the written request does not decode cleanly: %v %v\n%s", err, fs, data)
	}
	if got := req.Metadata.Annotations["config.kubernetes.io/function"]; got != "exec:\n  path: clusterpair-fn\n" {
		t.Errorf("function annotation = %q", got)
	}
	return req
}

func TestNewWritesAReadyPair(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	cases := []struct {
		name    string
		modify  func(*Options)
		context string // kept in the encrypted kubeconfig
		cluster string
		user    string
		auth    string
		warning string // a warning that must be returned; "" for none
		check   func(t *testing.T, req *v1alpha1.ClusterPairRequest, kc []byte)
	}{
		{name: "current context, one of eight", context: "west", cluster: "west", user: "west-admin", auth: "client certificate",
			check: func(t *testing.T, req *v1alpha1.ClusterPairRequest, kc []byte) {
				cfg := mustLoad(t, kc)
				if !bytes.Equal(cfg.AuthInfos["west-admin"].ClientKeyData, f.west.KeyPEM) || !bytes.Equal(cfg.Clusters["west"].CertificateAuthorityData, f.ca.CertPEM) {
					t.Error("the credentials of the context changed")
				}
				if strings.Contains(string(kc), "extensions") || strings.Contains(string(kc), "minikube") {
					t.Errorf("extensions survived:\n%s", kc)
				}
				s := req.Spec.Storage
				if req.Spec.Mode != v1alpha1.ModeAsyncDR || s == nil || s.IP != "px-api.west.example.com" || s.Port != 9001 || s.Token.File != TokenFile {
					t.Errorf("request spec = %+v, storage %+v", req.Spec, s)
				}
			}},
		{name: "--context with a bearer token", modify: func(o *Options) { o.Context = "east" }, context: "east", cluster: "east", user: "east-admin", auth: "bearer token",
			check: func(t *testing.T, _ *v1alpha1.ClusterPairRequest, kc []byte) {
				if mustLoad(t, kc).AuthInfos["east-admin"].Token != f.eastToken {
					t.Error("token changed")
				}
			}},
		{name: "file-path certificates are inlined", modify: func(o *Options) { o.Context = "north" }, context: "north", cluster: "north", user: "north-admin", auth: "client certificate",
			check: func(t *testing.T, _ *v1alpha1.ClusterPairRequest, kc []byte) {
				cfg := mustLoad(t, kc)
				c, u := cfg.Clusters["north"], cfg.AuthInfos["north-admin"]
				if c.CertificateAuthority != "" || u.ClientCertificate != "" || u.ClientKey != "" {
					t.Errorf("file paths survived:\n%s", kc)
				}
				if !bytes.Equal(c.CertificateAuthorityData, f.ca.CertPEM) || !bytes.Equal(u.ClientCertificateData, f.north.CertPEM) || !bytes.Equal(u.ClientKeyData, f.north.KeyPEM) {
					t.Error("the inlined data differ from the files")
				}
				if strings.Contains(string(kc), "certs/") || strings.Contains(string(kc), f.dir) {
					t.Errorf("a local path survived:\n%s", kc)
				}
			}},
		{name: "tokenFile is inlined", modify: func(o *Options) { o.Context = "tokens" }, context: "tokens", cluster: "east", user: "token-file", auth: "bearer token",
			check: func(t *testing.T, _ *v1alpha1.ClusterPairRequest, kc []byte) {
				u := mustLoad(t, kc).AuthInfos["token-file"]
				if u.TokenFile != "" || u.Token != f.fileToken {
					t.Errorf("tokenFile %q, token inlined: %v", u.TokenFile, u.Token == f.fileToken)
				}
			}},
		{name: "exec plugin kept, with the renderer's warning", modify: func(o *Options) { o.Context = "exec" }, context: "exec", cluster: "east", user: "eks", auth: `exec plugin "aws"`,
			warning: `exec plugin "aws"`,
			check: func(t *testing.T, _ *v1alpha1.ClusterPairRequest, kc []byte) {
				if e := mustLoad(t, kc).AuthInfos["eks"].Exec; e == nil || e.Command != "aws" {
					t.Errorf("exec plugin lost: %+v", e)
				}
			}},
		{name: "insecure-skip-tls-verify warns", modify: func(o *Options) { o.Context = "insecure" }, context: "insecure", cluster: "insecure", user: "east-admin", auth: "bearer token",
			warning: "insecure-skip-tls-verify"},
		{name: "loopback server warns", modify: func(o *Options) { o.Context = "loop" }, context: "loop", cluster: "loop", user: "east-admin", auth: "bearer token",
			warning: "loopback"},
		{name: "--server overrides the loopback server", modify: func(o *Options) { o.Context = "loop"; o.Server = "https://api.loop.example.com:6443" },
			context: "loop", cluster: "loop", user: "east-admin", auth: "bearer token",
			check: func(t *testing.T, req *v1alpha1.ClusterPairRequest, kc []byte) {
				if req.Spec.Destination.Kubeconfig.Server != "https://api.loop.example.com:6443" {
					t.Errorf("server = %q", req.Spec.Destination.Kubeconfig.Server)
				}
				if mustLoad(t, kc).Clusters["loop"].Server != "https://127.0.0.1:6443" {
					t.Error("the kubeconfig itself must keep its server; the request overrides it")
				}
			}},
		{name: "migration to an https endpoint with a port, project mappings", modify: func(o *Options) {
			o.Mode, o.PXEndpoint, o.ProjectMappings = "migration", "https://px-api.west.example.com:9443", "p-abc12=p-xyz98,c-src01:p-abc12=c-dst01:p-xyz98"
		}, context: "west", cluster: "west", user: "west-admin", auth: "client certificate",
			check: func(t *testing.T, req *v1alpha1.ClusterPairRequest, _ []byte) {
				s := req.Spec.Storage
				if req.Spec.Mode != v1alpha1.ModeMigration || s.IP != "https://px-api.west.example.com" || s.Port != 9443 {
					t.Errorf("mode %q storage %+v", req.Spec.Mode, s)
				}
				m, problems := req.Spec.Rancher.ProjectMappings.Resolve()
				if len(problems) > 0 || m["p-abc12"] != "p-xyz98" || m["c-src01:p-abc12"] != "c-dst01:p-xyz98" {
					t.Errorf("project mappings %v %v", m, problems)
				}
			}},
		{name: "sync-dr has no storage", modify: func(o *Options) { o.Mode, o.PXEndpoint, o.TokenFile = "sync-dr", "", "" },
			context: "west", cluster: "west", user: "west-admin", auth: "client certificate",
			check: func(t *testing.T, req *v1alpha1.ClusterPairRequest, _ []byte) {
				if req.Spec.Mode != v1alpha1.ModeSyncDR || req.Spec.Storage != nil {
					t.Errorf("spec = %+v", req.Spec)
				}
			}},
		{name: "token from the environment", modify: func(o *Options) {
			o.TokenFile, o.TokenEnv = "", "PX_TOKEN"
			o.Getenv = func(k string) string {
				if k == "PX_TOKEN" {
					return f.pxToken + "\n"
				}
				return ""
			}
		}, context: "west", cluster: "west", user: "west-admin", auth: "client certificate"},
		{name: "token from stdin", modify: func(o *Options) { o.TokenFile, o.Stdin = "-", strings.NewReader(f.pxToken+"\n") },
			context: "west", cluster: "west", user: "west-admin", auth: "client certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pairs", "dr-west")
			opts := options(t, f, dir)
			if c.modify != nil {
				c.modify(&opts)
			}
			res, err := New(opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if res.Context != c.context || res.Cluster != c.cluster || res.User != c.user || res.Auth != c.auth {
				t.Errorf("result context %q cluster %q user %q auth %q", res.Context, res.Cluster, res.User, res.Auth)
			}
			want := []string{KubeconfigFile, RequestFile, KustomizationFile, TokenFile}
			if opts.Mode == "sync-dr" {
				want = want[:3]
			}
			slices.Sort(want)
			if got := listFiles(t, dir); !slices.Equal(got, want) {
				t.Errorf("files %v, want %v (no temporary file left)", got, want)
			}
			for _, name := range want {
				fi, err := os.Stat(filepath.Join(dir, name))
				if err != nil || fi.Mode().Perm() != 0o644 {
					t.Errorf("%s: mode %v, %v", name, fi.Mode(), err)
				}
			}

			// Only the chosen context, its cluster and user survive.
			kc := decrypt(t, filepath.Join(dir, KubeconfigFile))
			cfg := mustLoad(t, kc)
			if len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || len(cfg.AuthInfos) != 1 || cfg.CurrentContext != c.context ||
				cfg.Contexts[c.context] == nil || cfg.Clusters[c.cluster] == nil || cfg.AuthInfos[c.user] == nil {
				t.Errorf("decrypted kubeconfig is not minified to %s:\n%s", c.context, kc)
			}
			own := ownSecrets(cfg)
			for _, s := range f.secrets {
				if strings.Contains(string(kc), s) && !own[s] {
					t.Errorf("the kubeconfig holds a credential of another context (%d bytes)", len(s))
				}
			}
			if strings.Contains(string(kc), f.dir) {
				t.Errorf("the kubeconfig names the local path %s:\n%s", f.dir, kc)
			}
			if opts.Mode != "sync-dr" {
				if tok := decrypt(t, filepath.Join(dir, TokenFile)); string(tok) != f.pxToken+"\n" {
					t.Errorf("token = %q", tok)
				}
			}
			kust, _ := os.ReadFile(filepath.Join(dir, KustomizationFile))
			if !strings.Contains(string(kust), "generators:\n  - clusterpair.yaml\n") {
				t.Errorf("kustomization:\n%s", kust)
			}

			req := decodeRequest(t, dir)
			if req.Metadata.Name != "dr-west" || req.Metadata.Namespace != "app" || req.Spec.Destination.Kubeconfig.File != KubeconfigFile || req.Spec.Destination.Kubeconfig.Context != "" {
				t.Errorf("request = %+v", req)
			}
			var warnings []string
			for _, w := range res.Warnings {
				warnings = append(warnings, w.Message)
			}
			joined := strings.Join(warnings, "\n")
			if c.warning != "" && !strings.Contains(joined, c.warning) {
				t.Errorf("warnings %q lack %q", joined, c.warning)
			}
			if c.warning == "" && len(warnings) > 0 {
				t.Errorf("unexpected warnings: %q", joined)
			}
			if c.check != nil {
				c.check(t, req, kc)
			}
		})
	}
}

// ownSecrets returns the secret values of the users of cfg, in every
// form the fixture lists them.
func ownSecrets(cfg *clientcmdapi.Config) map[string]bool {
	own := map[string]bool{}
	for _, u := range cfg.AuthInfos {
		if len(u.ClientKeyData) > 0 {
			own[string(u.ClientKeyData)] = true
			own[base64.StdEncoding.EncodeToString(u.ClientKeyData)] = true
			own[pemBody(u.ClientKeyData)] = true
		}
		if u.Token != "" {
			own[u.Token] = true
		}
	}
	return own
}

func TestNewRefusesBeforeWritingAnything(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	writeIn := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noCurrent := writeIn("config", "apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: 'https://a:6443'}}]\nusers: [{name: u, user: {token: notsecret-but-long-enough}}]\ncontexts: [{name: one, context: {cluster: a, user: u}}, {name: two, context: {cluster: a, user: u}}]\n")
	broken := writeIn("broken", "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user: {token: \"broken-secret-0123456789\"\n")
	spaced := writeIn("px-token", "two words\n")
	vaultRule := writeIn(".sops.yaml", "creation_rules:\n  - hc_vault_transit_uri: http://127.0.0.1:1/v1/transit/keys/k\n")
	cases := []struct {
		name     string
		modify   func(*Options)
		want     string
		findings bool // a *FindingsError
		is       error
	}{
		{name: "unknown context lists the others", modify: func(o *Options) { o.Context = "south" }, want: `--context "south" is not in`},
		{name: "no current-context", modify: func(o *Options) { o.Kubeconfig = noCurrent }, want: `has no current-context: choose one with --context (it has "one", "two")`},
		{name: "missing kubeconfig", modify: func(o *Options) { o.Kubeconfig = filepath.Join(f.dir, "nope") }, want: "no such file"},
		{name: "kubeconfig that does not parse, not echoed", modify: func(o *Options) { o.Kubeconfig = broken }, want: "is not a valid kubeconfig"},
		{name: "kubeconfig is required", modify: func(o *Options) { o.Kubeconfig = "" }, want: "--kubeconfig is required"},
		{name: "expired client certificate", modify: func(o *Options) { o.Context = "expired" }, want: "--kubeconfig (spec.destination.kubeconfig): user \"old\" client certificate", findings: true},
		{name: "bad endpoint scheme", modify: func(o *Options) { o.PXEndpoint = "ftp://px" }, want: `--px-endpoint "ftp://px" has the scheme "ftp"`},
		{name: "bad endpoint host", modify: func(o *Options) { o.PXEndpoint = "px_api:9001" }, want: "--px-endpoint (spec.storage.ip)", findings: true},
		{name: "endpoint is required", modify: func(o *Options) { o.PXEndpoint = "" }, want: "--px-endpoint is required"},
		{name: "token is required", modify: func(o *Options) { o.TokenFile = "" }, want: "--token-file or --token-env is required"},
		{name: "one token source only", modify: func(o *Options) { o.TokenEnv = "X" }, want: "not both"},
		{name: "unset token variable", modify: func(o *Options) { o.TokenFile, o.TokenEnv = "", "CLUSTERPAIR_TEST_UNSET" }, want: "the variable named by --token-env is not set or is empty"},
		{name: "missing token file", modify: func(o *Options) { o.TokenFile = filepath.Join(f.dir, "nope") }, want: "the file given to --token-file cannot be opened: no such file or directory"},
		{name: "token with whitespace", modify: func(o *Options) { o.TokenFile = spaced }, want: "--token-file/--token-env (spec.storage.token)", findings: true},
		{name: "sync-dr takes no storage", modify: func(o *Options) { o.Mode = "sync-dr" }, want: "takes no --px-endpoint"},
		{name: "unknown mode", modify: func(o *Options) { o.Mode = "async" }, want: `--mode "async"`},
		{name: "invalid name", modify: func(o *Options) { o.Name = "DR_West" }, want: "NAME (metadata.name)", findings: true},
		{name: "invalid namespace", modify: func(o *Options) { o.Namespace = "App" }, want: "--namespace (metadata.namespace)", findings: true},
		{name: "invalid server", modify: func(o *Options) { o.Server = "ftp://api" }, want: "--server (spec.destination.kubeconfig.server)", findings: true},
		{name: "invalid project mappings", modify: func(o *Options) { o.ProjectMappings = "p-a" }, want: "--project-mappings (spec.rancher.projectMappings)", findings: true},
		{name: "no recipients", modify: func(o *Options) { o.Age = nil }, want: "no recipients", is: secrets.ErrNoRecipients},
		{name: "bad recipient", modify: func(o *Options) { o.Age = []string{"age1bad"} }, want: `age recipient "age1bad"`},
		{name: "no encryptor", modify: func(o *Options) { o.Encryptor = nil }, want: "no SOPS encryptor is configured", is: secrets.ErrNoEncryptor},
		{name: "a sops rule naming a Vault the operator has not allowed", modify: func(o *Options) {
			o.Age, o.SOPSConfig = nil, vaultRule
		}, want: "key source not allowed: its keys need key services the renderer's operator has not allowed: hc_vault http://127.0.0.1:1 key k"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pair")
			opts := options(t, f, dir)
			c.modify(&opts)
			res, err := New(opts)
			assertRefused(t, res, err, dir, c.want, c.findings, append(f.secrets, "broken-secret-0123456789", "two words"))
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error is not %v", c.is)
			}
		})
	}
}

func TestNewRefusesToOverwrite(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	dir := t.TempDir()
	opts := options(t, f, dir)
	if _, err := New(opts); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, n := range listFiles(t, dir) {
		before[n], _ = os.ReadFile(filepath.Join(dir, n))
	}

	opts.Context = "east"
	_, err := New(opts)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second New: %v, want ErrExists", err)
	}
	for _, n := range []string{RequestFile, KubeconfigFile, TokenFile, KustomizationFile} {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("the refusal does not name %s: %v", n, err)
		}
	}
	for n, data := range before {
		now, _ := os.ReadFile(filepath.Join(dir, n))
		if !bytes.Equal(now, data) {
			t.Errorf("%s changed although New refused", n)
		}
	}

	// One existing file is enough, and the refusal names it alone.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, KustomizationFile), []byte("resources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Dir = other
	if _, err := New(opts); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "refusing to overwrite kustomization.yaml in") {
		t.Errorf("New over an existing kustomization.yaml: %v", err)
	}
	if got := listFiles(t, other); len(got) != 1 {
		t.Errorf("files %v", got)
	}

	// --force replaces everything.
	opts.Dir, opts.Force = dir, true
	if _, err := New(opts); err != nil {
		t.Fatalf("New --force: %v", err)
	}
	if cfg := mustLoad(t, decrypt(t, filepath.Join(dir, KubeconfigFile))); cfg.CurrentContext != "east" {
		t.Errorf("--force did not replace the kubeconfig (context %q)", cfg.CurrentContext)
	}
	if got := listFiles(t, dir); len(got) != 4 {
		t.Errorf("files after --force: %v", got)
	}

	// A directory in the way is never replaced.
	if err := os.Mkdir(filepath.Join(other, TokenFile), 0o755); err != nil {
		t.Fatal(err)
	}
	opts.Dir = other
	if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "px-token.enc is a directory") {
		t.Errorf("New --force over a directory: %v", err)
	}
	if got := listFiles(t, other); len(got) != 2 {
		t.Errorf("files %v", got)
	}
	if err := os.Remove(filepath.Join(other, TokenFile)); err != nil {
		t.Fatal(err)
	}

	// A kustomization under another name is never overwritten nor doubled.
	if err := os.WriteFile(filepath.Join(other, "kustomization.yml"), []byte("resources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Dir = other
	if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "already has kustomization.yml") {
		t.Errorf("New --force next to kustomization.yml: %v", err)
	}
}

// sopsDecryptCLI decrypts a file with the sops CLI and one key file.
func sopsDecryptCLI(t *testing.T, file, keyFile string) ([]byte, error) {
	t.Helper()
	return testenv.SOPSDecrypt(t, file, "SOPS_AGE_KEY_FILE="+keyFile)
}

func TestNewHonoursSOPSCreationRules(t *testing.T) {
	testenv.Isolate(t)
	f := newFixture(t)
	demo, other := demoRecipient(t), recipientOf(t, testenv.OtherKeyFile())

	repo := t.TempDir()
	rules := "creation_rules:\n" +
		"  - path_regex: ^pairs/.*\\.enc$\n    age: " + other + "\n" +
		"  - path_regex: ^pairs/.*\\.yaml$\n    age: " + demo + "\n"
	if err := os.WriteFile(filepath.Join(repo, ".sops.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repo, "pairs", "dr-west")
	opts := options(t, f, dir)
	opts.Age = nil
	res, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, file := range res.Files {
		if file.Encrypted && file.SOPSConfig != filepath.Join(repo, ".sops.yaml") {
			t.Errorf("%s: SOPSConfig %q", file.Name, file.SOPSConfig)
		}
	}
	// The sops CLI decrypts each file with the key its rule names, and
	// only with that key.
	kc, err := sopsDecryptCLI(t, filepath.Join(dir, KubeconfigFile), testenv.DemoKeyFile())
	if err != nil {
		t.Fatalf("sops decrypt the kubeconfig: %v", err)
	}
	if cfg := mustLoad(t, kc); len(cfg.Contexts) != 1 || cfg.CurrentContext != "west" {
		t.Errorf("decrypted kubeconfig:\n%s", kc)
	}
	if _, err := sopsDecryptCLI(t, filepath.Join(dir, KubeconfigFile), testenv.OtherKeyFile()); err == nil {
		t.Error("the other key decrypts the kubeconfig; its rule names the demo key only")
	}
	tok, err := sopsDecryptCLI(t, filepath.Join(dir, TokenFile), testenv.OtherKeyFile())
	if err != nil || string(tok) != f.pxToken+"\n" {
		t.Errorf("sops decrypt the token: %q, %v", tok, err)
	}

	// A rule written for Kubernetes Secrets would leave the credentials
	// readable: refused, nothing written.
	secretsRepo := t.TempDir()
	if err := os.WriteFile(filepath.Join(secretsRepo, ".sops.yaml"), []byte("creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: "+demo+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Dir = filepath.Join(secretsRepo, "pair")
	_, err = New(opts)
	if err == nil || !strings.Contains(err.Error(), "would leave credentials readable (users[0].user.client-certificate-data, users[0].user.client-key-data)") {
		t.Errorf("New under a Secrets-only rule: %v", err)
	}
	if files := listFiles(t, opts.Dir); len(files) > 0 {
		t.Errorf("files written: %v", files)
	}
}

func TestNewLeavesNoPlaintextOnDisk(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t) // the plaintext inputs, outside the directories scanned below
	out := filepath.Join(t.TempDir(), "pair")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	home := os.Getenv("HOME")
	for _, ctx := range []string{"west", "north", "tokens"} {
		opts := options(t, f, out)
		opts.Context, opts.Force = ctx, true
		if _, err := New(opts); err != nil {
			t.Fatalf("New --context %s: %v", ctx, err)
		}
		assertNoSecrets(t, out, f.secrets)
		assertNoSecrets(t, home, f.secrets)
		if files := listFiles(t, tmp); len(files) > 0 {
			t.Errorf("New left files in TMPDIR: %v", files)
		}
	}
	// The scan would have found them: they are in the encrypted files.
	if string(decrypt(t, filepath.Join(out, TokenFile))) != f.pxToken+"\n" {
		t.Fatal("the token is not in the encrypted file")
	}
}

func TestParsePXEndpoint(t *testing.T) {
	cases := []struct {
		in   string
		ip   string
		port int
		err  string
	}{
		{in: "px-api.west.example.com", ip: "px-api.west.example.com", port: 9001},
		{in: "px-api.west.example.com:9020", ip: "px-api.west.example.com", port: 9020},
		{in: "10.20.0.15", ip: "10.20.0.15", port: 9001},
		{in: "10.20.0.15:9001", ip: "10.20.0.15", port: 9001},
		{in: "fd00::15", ip: "fd00::15", port: 9001},
		{in: "[fd00::15]", ip: "fd00::15", port: 9001},
		{in: "[fd00::15]:9021", ip: "fd00::15", port: 9021},
		{in: "http://px.example.com", ip: "http://px.example.com", port: 80},
		{in: "https://px.example.com", ip: "https://px.example.com", port: 443},
		{in: "https://px.example.com:9443", ip: "https://px.example.com", port: 9443},
		{in: "https://[fd00::15]:9443", ip: "https://[fd00::15]", port: 9443},
		{in: "", err: "is empty"},
		{in: "ftp://px.example.com", err: `scheme "ftp"`},
		{in: "HTTPS://px.example.com", err: `scheme "HTTPS"`},
		{in: "https://px.example.com/", err: "must not have a path"},
		{in: "https://px.example.com/v1", err: "must not have a path"},
		{in: "https://user:SECRETPW@px.example.com", err: "https://px.example.com must not carry credentials"},
		{in: "https://px.example.com?x=SECRETQ", err: "https://px.example.com must not have a query"},
		{in: "https://px.example.com#SECRETF", err: "query or fragment"},
		{in: "https://px.example.com:", err: "empty port"},
		{in: "https://px.example.com:0", err: `port "0"`},
		{in: "https://:9001", err: "has no host"},
		{in: "px.example.com:70000", err: `port "70000"`},
		{in: "px.example.com:abc", err: `port "abc"`},
		{in: "px.example.com:+1", err: `port "+1"`},
		{in: ":9001", err: "has no host"},
		{in: "px.example.com/v1", err: "no path"},
		{in: "user:SECRETPW@px.example.com", err: "credentials"},
		{in: "px.example.com?SECRETQ", err: "no path, query"},
		{in: "px example", err: "whitespace"},
		{in: "fd00::15:9001:x", err: "is not HOST:PORT"},
	}
	for _, c := range cases {
		ip, port, err := ParsePXEndpoint(c.in)
		if c.err != "" {
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("ParsePXEndpoint(%q): the error reveals it: %v", c.in, err)
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePXEndpoint(%q) = %q, %d, %v; want an error with %q", c.in, ip, port, err, c.err)
			}
			continue
		}
		if err != nil || ip != c.ip || port != c.port {
			t.Errorf("ParsePXEndpoint(%q) = %q, %d, %v; want %q, %d", c.in, ip, port, err, c.ip, c.port)
		}
	}
}

// TestRequestYAMLReadsBack: every string the request holds reads back as
// the same string, whatever it looks like in YAML.
func TestRequestYAMLReadsBack(t *testing.T) {
	for _, v := range []string{"dr-west", "10.20.0.15", "fd00::15", "https://[fd00::15]", "https://api.west.example.com:6443",
		"p-abc12=p-xyz98,c-src01:p-abc12=c-dst01:p-xyz98", "9001", "true", "null", "1e3", "0x1F", "a: b", "#x", "- x", "'q'", `"q"`, "~", "1:20"} {
		req := &v1alpha1.ClusterPairRequest{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind}
		req.Spec.Destination.Kubeconfig.Server = v
		req.Spec.Rancher = &v1alpha1.Rancher{}
		data, err := requestYAML(req, v, []string{"k"})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := v1alpha1.Decode(data)
		if err != nil {
			t.Fatalf("%q: %v\n%s", v, err, data)
		}
		mappings, _ := json.Marshal(got.Spec.Rancher.ProjectMappings)
		if got.Spec.Destination.Kubeconfig.Server != v || !strings.Contains(string(data), "projectMappings: ") {
			t.Errorf("%q does not read back:\n%s (mappings %s)", v, data, mappings)
		}
	}
}

func mustLoad(t *testing.T, data []byte) *clientcmdapi.Config {
	t.Helper()
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatalf("the decrypted kubeconfig does not load: %v", err)
	}
	return cfg
}
