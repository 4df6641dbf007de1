package fn_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// renderTyped runs Processor.Render over the input in dir, and checks that
// it left the ResourceList as it was.
func renderTyped(t *testing.T, dir string, side transform.Side, input []byte) (*fn.Rendering, error) {
	t.Helper()
	rl, err := sdk.ParseResourceList(input)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := rl.ToYAML()
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: dir, Side: side}
	run, err := p.Render(rl)
	after, _ := rl.ToYAML()
	if !bytes.Equal(before, after) {
		t.Errorf("Render changed the ResourceList:\n--- before\n%s\n--- after\n%s", before, after)
	}
	return run, err
}

// TestRender: the typed outcome holds what Process reports and renders,
// typed: findings with their field and file, the request's identity and
// loaded request, and the side's output (credentials in plaintext, before
// encryption), present only when the request rendered.
func TestRender(t *testing.T) {
	dir := fixtureDir(t)
	reverse, err := os.ReadFile(testenv.Path("testdata", "golden", "reverse-destination", "request.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	otherRecipient := testenv.Recipient(t, testenv.OtherKeyFile())
	plain := request("a", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/path", "a.yaml", "internal.config.kubernetes.io/index", "2")
	cases := []struct {
		name  string
		side  transform.Side
		input []byte
		// runFinding is the run's one finding ("" for none).
		runFinding string
		// want is each request's first finding (zero for none) and
		// whether it rendered.
		want     []diag.Finding
		rendered []bool
		loaded   []bool
		// pair is the rendered pair's namespace/name.
		pair string
	}{
		{name: "rendered", input: resourceList(t, "", configMap, plain),
			want: []diag.Finding{{}}, rendered: []bool{true}, loaded: []bool{true}, pair: "app/a"},
		// The output's recipient is not one whose key this renderer holds:
		// the typed pair needs no decryption.
		{name: "encrypted output", input: resourceList(t, "", request("a", "app", "kubeconfig.yaml")+"  output:\n    encrypt:\n      age: ['"+otherRecipient+"']\n"),
			want: []diag.Finding{{}}, rendered: []bool{true}, loaded: []bool{true}, pair: "app/a"},
		{name: "destination side", side: transform.SideDestination, input: resourceList(t, string(reverse)),
			want: []diag.Finding{{}}, rendered: []bool{true}, loaded: []bool{true}, pair: "app/west-east"},
		{name: "file finding", input: resourceList(t, "", request("a", "app", "missing.yaml")),
			want:     []diag.Finding{{Severity: diag.Error, Field: "spec.destination.kubeconfig.file", File: "missing.yaml"}},
			rendered: []bool{false}, loaded: []bool{true}},
		{name: "validation finding", input: resourceList(t, "", strings.Replace(request("a", "app", "kubeconfig.yaml"), "mode: async-dr", "mode: async", 1)),
			want:     []diag.Finding{{Severity: diag.Error, Field: "spec.mode"}},
			rendered: []bool{false}, loaded: []bool{true}},
		{name: "undecodable", input: resourceList(t, "", strings.Replace(request("a", "app", "kubeconfig.yaml"), "ip: px.example.com", "ip: px.example.com\n    port: [1]", 1)),
			want:     []diag.Finding{{Severity: diag.Error, Field: "spec.storage.port"}},
			rendered: []bool{false}, loaded: []bool{false}},
		{name: "bidirectional without a side", input: resourceList(t, string(reverse)),
			want:     []diag.Finding{{Severity: diag.Error, Field: "spec.reverse"}},
			rendered: []bool{false}, loaded: []bool{true}},
		{name: "placed outside the root", input: resourceList(t, "", request("a", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/path", "../a.yaml")),
			want:     []diag.Finding{{Severity: diag.Error, Field: "metadata.annotations[internal.config.kubernetes.io/path]"}},
			rendered: []bool{false}, loaded: []bool{false}},
		{name: "two of one identity", input: resourceList(t, "", plain, request("a", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/path", "b.yaml")),
			want: []diag.Finding{
				{Severity: diag.Error, Field: "metadata.name"},
				{Severity: diag.Error, Field: "metadata.name"},
			},
			rendered: []bool{false, false}, loaded: []bool{false, false}},
		{name: "no request", input: resourceList(t, "", configMap), runFinding: "no ClusterPairRequest"},
		{name: "unknown version", input: resourceList(t, "", strings.Replace(plain, "/v1alpha1", "/v9", 1)), runFinding: `has apiVersion "fn.clusterpair.dev/v9"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run, err := renderTyped(t, dir, c.side, c.input)
			if err != nil {
				t.Fatal(err)
			}
			if c.runFinding != "" {
				if len(run.Findings) != 1 || run.Findings[0].Severity != diag.Error || !strings.Contains(run.Findings[0].Message, c.runFinding) || len(run.Requests) != 0 || !run.Failed() {
					t.Errorf("run = %+v, want one error %q and no request", run, c.runFinding)
				}
				return
			}
			if len(run.Findings) != 0 || len(run.Requests) != len(c.want) {
				t.Fatalf("run = %+v, want %d requests and no run finding", run, len(c.want))
			}
			for i, r := range run.Requests {
				var first diag.Finding
				if len(r.Findings) > 0 {
					first = r.Findings[0]
				}
				if first.Severity != c.want[i].Severity || first.Field != c.want[i].Field || first.File != c.want[i].File || (first.Severity != "") != (first.Message != "") {
					t.Errorf("request %d: first finding %+v, want %+v", i, first, c.want[i])
				}
				if (r.Output != nil) != c.rendered[i] || (r.Loaded != nil) != c.loaded[i] {
					t.Errorf("request %d: output %v loaded %v, want rendered %v loaded %v", i, r.Output != nil, r.Loaded != nil, c.rendered[i], c.loaded[i])
				}
				if r.Output == nil {
					continue
				}
				cp := r.Output.ClusterPair
				if got := cp.Metadata.Namespace + "/" + cp.Metadata.Name; got != c.pair {
					t.Errorf("pair %s, want %s", got, c.pair)
				}
				assertPlaintextPair(t, cp)
			}
			if run.Failed() == c.rendered[0] {
				t.Errorf("Failed() = %v with rendered %v", run.Failed(), c.rendered)
			}
		})
	}
}

// assertPlaintextPair checks that a typed pair holds usable credentials:
// a destination server and a token, neither encrypted.
func assertPlaintextPair(t *testing.T, cp *stork.ClusterPair) {
	t.Helper()
	cfg := cp.Spec.Config
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil || cfg.Clusters[ctx.Cluster] == nil || !strings.HasPrefix(cfg.Clusters[ctx.Cluster].Server, "https://") {
		t.Fatalf("the typed pair has no destination server: %+v", cfg)
	}
	tok := cp.Spec.Options[stork.OptionToken]
	if tok == "" || strings.Contains(tok, "ENC[") {
		t.Errorf("the typed pair's token is missing or encrypted (%d bytes)", len(tok))
	}
}

// TestRenderIdentifiesRequests: each request of the outcome names its
// namespace, name, file and index, in the order Process reports them.
func TestRenderIdentifiesRequests(t *testing.T) {
	dir := fixtureDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "pairs"), 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), filepath.Join(dir, "pairs"))
	in := resourceList(t, "",
		request("b", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/path", "pairs/b.yaml", "internal.config.kubernetes.io/index", "1"),
		request("a", "app", "kubeconfig.yaml"))
	run, err := renderTyped(t, dir, "", in)
	if err != nil {
		t.Fatal(err)
	}
	want := []fn.RequestID{{Namespace: "app", Name: "a", Index: -1}, {Namespace: "app", Name: "b", File: "pairs/b.yaml", Index: 1}}
	if len(run.Requests) != len(want) {
		t.Fatalf("requests = %d, want %d", len(run.Requests), len(want))
	}
	for i := range want {
		if got := run.Requests[i].ID(); got != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, got, want[i])
		}
	}
}

// TestRenderRootMissing: a root that cannot be opened is the run's error,
// with no outcome.
func TestRenderRootMissing(t *testing.T) {
	rl, err := sdk.ParseResourceList(resourceList(t, "", request("a", "app", "kubeconfig.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Root: filepath.Join(t.TempDir(), "gone")}
	run, err := p.Render(rl)
	if err == nil || !strings.Contains(err.Error(), "opening the render root") || run != nil {
		t.Errorf("Render = %+v, %v; want the root's error and no outcome", run, err)
	}
}

// TestProcessReportsWhatRenderFinds: Process's results are Render's
// findings, worded with the file before the message.
func TestProcessReportsWhatRenderFinds(t *testing.T) {
	dir := fixtureDir(t)
	in := resourceList(t, "", request("a", "app", "missing.yaml"))
	typed, err := renderTyped(t, dir, "", in)
	if err != nil {
		t.Fatal(err)
	}
	rl, stderr, err := run(t, dir, in)
	if err == nil {
		t.Fatal("the request with a missing file rendered")
	}
	fs := typed.Requests[0].Findings
	if len(rl.Results) != len(fs) || len(fs) == 0 {
		t.Fatalf("results %+v, typed findings %+v", rl.Results, fs)
	}
	for i, f := range fs {
		if r := rl.Results[i]; r.Message != f.Text() || r.Field == nil || r.Field.Path != f.Field || !strings.HasPrefix(r.Message, `file "missing.yaml": `) {
			t.Errorf("result %d = %+v, finding %+v", i, r, f)
		}
	}
	if !strings.Contains(stderr, `file "missing.yaml": `) {
		t.Errorf("stderr = %s", stderr)
	}
}
