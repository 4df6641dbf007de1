package author

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// bidiInputs are the secret inputs of a bidirectional pair with an S3
// object store, besides the fixture's.
type bidiInputs struct {
	reverseToken, accessKeyID, secretAccessKey string
	env                                        map[string]string
	secrets                                    []string
}

// bidiOptions returns options that succeed with the fixture: the forward
// pair reaches context west, the reverse pair context east of the same
// kubeconfig; the S3 access key ID comes from the environment, the rest
// from files.
func bidiOptions(t *testing.T, f *fixture, dir string) (Options, *bidiInputs) {
	t.Helper()
	in := &bidiInputs{
		reverseToken:    "reverse-px-token-" + randomHex(t),
		accessKeyID:     "AKIA" + strings.ToUpper(randomHex(t)[:16]),
		secretAccessKey: "s3-secret-" + randomHex(t),
	}
	in.env = map[string]string{"S3_KEY_ID": in.accessKeyID}
	in.secrets = append(slices.Clone(f.secrets), in.reverseToken, in.accessKeyID, in.secretAccessKey)
	inputs := t.TempDir()
	write := func(name, value string) string {
		p := filepath.Join(inputs, name)
		if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	opts := options(t, f, dir)
	opts.Reverse = SideOptions{Kubeconfig: f.kubeconfig, Context: "east", PXEndpoint: "https://px-api.east.example.com:9443", TokenFile: write("reverse-token", in.reverseToken)}
	opts.ObjectStore = ObjectStoreOptions{
		Provider: "s3", Bucket: "px-dr-west-east", S3Region: "eu-west-1",
		S3AccessKeyIDEnv: "S3_KEY_ID", S3SecretAccessKeyFile: write("s3-secret", in.secretAccessKey),
	}
	opts.Getenv = func(k string) string { return in.env[k] }
	return opts, in
}

// renderSides renders each side of the written pair directory from the
// written, encrypted files, as the function resolves them.
func renderSides(t *testing.T, dir string) map[v1alpha1.Side]*transform.Output {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, RequestFile))
	if err != nil {
		t.Fatal(err)
	}
	req, fs := v1alpha1.Load(data)
	if fs.HasErrors() {
		t.Fatalf("the written request does not load: %v", fs)
	}
	root, err := secrets.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	res := secrets.NewResolver(root, testsops.NewDecryptor())
	get := func(ref v1alpha1.SecretRef) []byte {
		v, err := res.Resolve(secrets.Ref{File: ref.File, Key: ref.Key})
		if err != nil {
			t.Fatalf("resolving %s %s: %v", ref.File, ref.Key, err)
		}
		return v.Bytes()
	}
	out := map[v1alpha1.Side]*transform.Output{}
	for _, side := range []v1alpha1.Side{v1alpha1.SideSource, v1alpha1.SideDestination} {
		view, ok := req.Side(side)
		if !ok {
			t.Fatalf("the request has no %s side", side)
		}
		in := transform.Secrets{Kubeconfig: get(view.Kubeconfig.SecretRef), Token: get(view.Storage.Token)}
		if s3 := req.Spec.ObjectStore.S3; s3 != nil {
			in.ObjectStore.AccessKeyID, in.ObjectStore.SecretAccessKey = get(s3.AccessKeyID), get(s3.SecretAccessKey)
		}
		o, rfs := transform.RenderSide(req, side, in)
		if rfs.HasErrors() {
			t.Fatalf("%s side does not render: %v", side, rfs)
		}
		out[side] = o
	}
	return out
}

func TestNewWritesABidirectionalPairWithAnObjectStore(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	for _, c := range []struct {
		layout   string
		inputDir string
		output   map[v1alpha1.Side]string // each side's output.file
	}{
		{layout: LayoutKustomize},
		{layout: LayoutFlux, inputDir: SecretsDir, output: map[v1alpha1.Side]string{
			v1alpha1.SideSource: "rendered/source/clusterpair.yaml", v1alpha1.SideDestination: "rendered/destination/clusterpair.yaml"}},
	} {
		t.Run(c.layout, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "west-east")
			opts, in := bidiOptions(t, f, dir)
			opts.Layout = c.layout
			res, err := New(opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			inputs := []string{KubeconfigFile, TokenFile, ObjectStoreFile, ReverseKubeconfigFile, ReverseTokenFile}
			for i, n := range inputs {
				inputs[i] = path.Join(c.inputDir, n)
			}
			var encrypted []string
			for _, file := range res.Files {
				if file.Encrypted {
					encrypted = append(encrypted, file.Name)
				}
			}
			if !slices.Equal(encrypted, inputs) {
				t.Errorf("encrypted files %v, want %v", encrypted, inputs)
			}
			if r := res.Reverse; r == nil || r.Context != "east" || r.Cluster != "east" || r.Auth != "bearer token" {
				t.Errorf("Result.Reverse = %+v", res.Reverse)
			}
			assertNoSecrets(t, dir, in.secrets)

			kc := mustLoad(t, decrypt(t, filepath.Join(dir, inputs[3])))
			if len(kc.Contexts) != 1 || kc.CurrentContext != "east" || kc.AuthInfos["east-admin"].Token != f.eastToken {
				t.Errorf("the reverse kubeconfig is not context east alone")
			}
			if tok := decrypt(t, filepath.Join(dir, inputs[4])); string(tok) != in.reverseToken+"\n" {
				t.Error("the reverse token does not decrypt to the input")
			}

			req := decodeRequest(t, dir)
			rev, os3 := req.Spec.Reverse, req.Spec.ObjectStore
			if rev == nil || rev.Kubeconfig.File != inputs[3] || rev.Storage == nil || rev.Storage.IP != "https://px-api.east.example.com" || rev.Storage.Port != 9443 || rev.Storage.Token.File != inputs[4] {
				t.Errorf("spec.reverse = %+v", rev)
			}
			if os3 == nil || os3.Provider != v1alpha1.ProviderS3 || os3.Bucket != "px-dr-west-east" || os3.S3 == nil || os3.S3.Region != "eu-west-1" ||
				os3.S3.AccessKeyID != (v1alpha1.SecretRef{File: inputs[2], Key: "s3.accessKeyID"}) ||
				os3.S3.SecretAccessKey != (v1alpha1.SecretRef{File: inputs[2], Key: "s3.secretAccessKey"}) {
				t.Errorf("spec.objectStore = %+v", os3)
			}
			for side, file := range c.output {
				view, _ := req.Side(side)
				if view.Output.File != file || view.Output.Encrypt == nil || len(view.Output.Encrypt.Age) != 1 {
					t.Errorf("%s output = %+v, want file %s, encrypted", side, view.Output, file)
				}
			}

			out := renderSides(t, dir)
			src, dst := out[v1alpha1.SideSource], out[v1alpha1.SideDestination]
			if src.ClusterPair.Spec.Options["ip"] != "px-api.west.example.com" || dst.ClusterPair.Spec.Options["ip"] != "https://px-api.east.example.com" {
				t.Errorf("each side must point at the other cluster's Portworx: %q / %q", src.ClusterPair.Spec.Options["ip"], dst.ClusterPair.Spec.Options["ip"])
			}
			if dst.ClusterPair.Spec.Options["token"] != in.reverseToken || src.ClusterPair.Spec.Options["token"] != f.pxToken {
				t.Error("a side's pair does not carry its peer's token")
			}
			for side, o := range out {
				if o.Secret == nil || string(o.Secret.Data["accessKeyID"]) != in.accessKeyID || string(o.Secret.Data["secretAccessKey"]) != in.secretAccessKey {
					t.Errorf("%s side: the object store Secret does not hold the credentials", side)
				}
			}
			if c.layout == LayoutFlux {
				script, _ := os.ReadFile(filepath.Join(dir, RenderScriptFile))
				if !strings.Contains(string(script), "for side in source destination") {
					t.Errorf("render.sh does not render both sides:\n%s", script)
				}
			}
		})
	}
}

func TestNewBidirectionalDryRunPrintsNoCredential(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "pair")
	opts, in := bidiOptions(t, f, dir)
	opts.DryRun = true
	res, err := New(opts)
	if err != nil {
		t.Fatalf("New --dry-run: %v", err)
	}
	if files := listFiles(t, dir); len(files) > 0 {
		t.Errorf("--dry-run wrote %v", files)
	}
	var names []string
	for _, file := range res.Files {
		names = append(names, file.Name)
		if file.Encrypted && (len(file.Recipients) != 1 || !strings.HasPrefix(file.Recipients[0], "age ")) {
			t.Errorf("%s: recipients %v", file.Name, file.Recipients)
		}
	}
	want := []string{RequestFile, KubeconfigFile, TokenFile, ObjectStoreFile, ReverseKubeconfigFile, ReverseTokenFile, KustomizationFile}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	dump := strings.Join(names, " ") + " " + res.Context + res.Server + res.Auth + res.Reverse.Server + res.Reverse.Auth
	for _, w := range res.Warnings {
		dump += Describe(w)
	}
	for _, s := range in.secrets {
		if strings.Contains(dump, s) {
			t.Errorf("the dry-run result holds a credential (%d bytes)", len(s))
		}
	}
}

func TestNewRefusesBadReverseFlags(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	noContext := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(noContext, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: 'https://a:6443'}}]\nusers: [{name: u, user: {token: notsecret-but-long-enough}}]\ncontexts: [{name: one, context: {cluster: a, user: u}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		modify   func(*Options)
		want     string
		findings bool
	}{
		{name: "reverse kubeconfig is required", modify: func(o *Options) { o.Reverse.Kubeconfig = "" }, want: "--reverse-kubeconfig is required: the kubeconfig that reaches the source cluster"},
		{name: "reverse token is required", modify: func(o *Options) { o.Reverse.TokenFile = "" }, want: "--reverse-token-file or --reverse-token-env is required with --mode async-dr: the source's pairing token"},
		{name: "one reverse token source", modify: func(o *Options) { o.Reverse.TokenEnv = "X" }, want: "give the Portworx token with --reverse-token-file or --reverse-token-env, not both"},
		{name: "reverse endpoint is required", modify: func(o *Options) { o.Reverse.PXEndpoint = "" }, want: "--reverse-px-endpoint is required with --mode async-dr: the source's Portworx API endpoint"},
		{name: "bad reverse endpoint", modify: func(o *Options) { o.Reverse.PXEndpoint = "ftp://px" }, want: `--reverse-px-endpoint "ftp://px" has the scheme "ftp"`},
		{name: "bad reverse endpoint host", modify: func(o *Options) { o.Reverse.PXEndpoint = "px_api:9001" }, want: "--reverse-px-endpoint (spec.reverse.storage.ip)", findings: true},
		{name: "unset reverse token variable", modify: func(o *Options) { o.Reverse.TokenFile, o.Reverse.TokenEnv = "", "UNSET_REVERSE" }, want: "the variable named by --reverse-token-env is not set or is empty"},
		{name: "missing reverse token file", modify: func(o *Options) { o.Reverse.TokenFile = filepath.Join(f.dir, "nope") }, want: "the file given to --reverse-token-file cannot be opened: no such file or directory"},
		{name: "two flags read stdin", modify: func(o *Options) { o.TokenFile, o.Reverse.TokenFile = "-", "-" }, want: "--token-file - and --reverse-token-file -: only one flag can read standard input"},
		{name: "reverse kubeconfig with no current context", modify: func(o *Options) { o.Reverse.Kubeconfig, o.Reverse.Context = noContext, "" }, want: "--reverse-kubeconfig " + noContext + ` has no current-context: choose one with --reverse-context (it has "one")`},
		{name: "unknown reverse context", modify: func(o *Options) { o.Reverse.Context = "south" }, want: `--reverse-context "south" is not in`},
		{name: "missing reverse kubeconfig", modify: func(o *Options) { o.Reverse.Kubeconfig = filepath.Join(f.dir, "nope") }, want: "--reverse-kubeconfig " + filepath.Join(f.dir, "nope") + ": no such file"},
		{name: "expired reverse client certificate", modify: func(o *Options) { o.Reverse.Context = "expired" }, want: "--reverse-kubeconfig (spec.reverse.kubeconfig): user \"old\" client certificate", findings: true},
		{name: "invalid reverse server", modify: func(o *Options) { o.Reverse.Server = "ftp://api" }, want: "--reverse-server (spec.reverse.kubeconfig.server)", findings: true},
		{name: "the same context both ways", modify: func(o *Options) { o.Reverse.Context = "west" }, want: `--reverse-kubeconfig: context "west" of ` + f.kubeconfig + " is the one --kubeconfig uses"},
		{name: "the same token both ways", modify: func(o *Options) { o.Reverse.TokenFile = o.TokenFile }, want: "the same token as --token-file/--token-env"},
		{name: "sync-dr takes no reverse storage", modify: func(o *Options) {
			o.Mode, o.PXEndpoint, o.TokenFile, o.ObjectStore = "sync-dr", "", "", ObjectStoreOptions{}
		},
			want: "it takes no --reverse-px-endpoint, --reverse-token-file or --reverse-token-env"},
		{name: "kpt takes no reverse pair", modify: func(o *Options) { o.Layout = LayoutKpt }, want: "--reverse-kubeconfig is for --layout kustomize or flux"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pair")
			opts, in := bidiOptions(t, f, dir)
			c.modify(&opts)
			res, err := New(opts)
			assertRefused(t, res, err, dir, c.want, c.findings, in.secrets)
		})
	}
}

func TestNewSyncDRBidirectional(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "pair")
	opts := options(t, f, dir)
	opts.Mode, opts.PXEndpoint, opts.TokenFile = "sync-dr", "", ""
	opts.Reverse = SideOptions{Kubeconfig: f.kubeconfig, Context: "north"}
	if _, err := New(opts); err != nil {
		t.Fatalf("New: %v", err)
	}
	want := []string{KubeconfigFile, RequestFile, KustomizationFile, ReverseKubeconfigFile}
	slices.Sort(want)
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if rev := decodeRequest(t, dir).Spec.Reverse; rev == nil || rev.Storage != nil || rev.Kubeconfig.File != ReverseKubeconfigFile {
		t.Errorf("spec.reverse = %+v", rev)
	}
}

// TestNewWarnsThatTheReverseCredentialIsWrittenAsGiven: --service-account
// covers the destination only, so a bidirectional pair says that the
// reverse kubeconfig's credential is committed as given, naming the flag
// and the user but no credential; a one-way pair has no such warning.
func TestNewWarnsThatTheReverseCredentialIsWrittenAsGiven(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	bidi, _ := bidiOptions(t, f, filepath.Join(t.TempDir(), "west-east"))
	oneWay := options(t, f, filepath.Join(t.TempDir(), "dr-west"))
	for _, c := range []struct {
		name string
		opts Options
		want bool
	}{
		{"bidirectional", bidi, true},
		{"one-way", oneWay, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.DryRun = true
			res, err := New(c.opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			var got []string
			for _, w := range res.Warnings {
				if w.Field == "spec.reverse.kubeconfig" {
					got = append(got, Describe(w))
				}
			}
			if !c.want {
				if len(got) > 0 {
					t.Fatalf("one-way pair warns about a reverse credential: %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], "--reverse-kubeconfig (spec.reverse.kubeconfig): writes the credential of user ") || !strings.Contains(got[0], "--service-account makes a dedicated account on the destination only") {
				t.Fatalf("warnings %q: want one naming --reverse-kubeconfig and what --service-account covers", got)
			}
		})
	}
}
