package transform

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

const (
	pxToken     = "px-pairing-token-Zx81Qm"
	tokenFile   = "secrets/px-token.enc"
	requestFile = testFile
)

// newRequest returns a defaulted, valid async-dr request, modified by mut.
func newRequest(mut func(*v1alpha1.ClusterPairRequest)) *v1alpha1.ClusterPairRequest {
	r := &v1alpha1.ClusterPairRequest{
		APIVersion: v1alpha1.APIVersion,
		Kind:       v1alpha1.Kind,
		Metadata: metav1.ObjectMeta{
			Name:        "to-dr",
			Namespace:   "apps",
			Labels:      map[string]string{"team": "storage"},
			Annotations: map[string]string{"config.kubernetes.io/local-config": "true"},
		},
		Spec: v1alpha1.ClusterPairRequestSpec{
			Destination: v1alpha1.Destination{Kubeconfig: v1alpha1.KubeconfigSource{
				SecretRef: v1alpha1.SecretRef{File: requestFile},
			}},
			Storage: &v1alpha1.Storage{
				IP:    "px.dr.example.com",
				Port:  v1alpha1.DefaultPortworxPort,
				Token: v1alpha1.SecretRef{File: tokenFile},
			},
			Mode: v1alpha1.ModeAsyncDR,
		},
	}
	if mut != nil {
		mut(r)
	}
	return r
}

// requireValidRequest guards the tests against testing requests that the
// function would never hand to Render.
func requireValidRequest(t *testing.T, r *v1alpha1.ClusterPairRequest) {
	t.Helper()
	if errs := r.Validate().Errors(); len(errs) > 0 {
		t.Fatalf("test request is invalid:\n%s", dump(errs))
	}
}

func render(t *testing.T, r *v1alpha1.ClusterPairRequest, token string) (*stork.ClusterPair, diag.Findings) {
	t.Helper()
	out, fs := Render(r, Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte(token)})
	if out == nil {
		return nil, fs
	}
	return out.ClusterPair, fs
}

// specJSON returns the marshalled spec keyed by its top-level keys.
func specJSON(t *testing.T, cp *stork.ClusterPair) map[string]json.RawMessage {
	t.Helper()
	b, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Spec map[string]json.RawMessage `json:"spec"`
	}
	mustUnmarshal(t, b, &top)
	return top.Spec
}

func TestRenderOptions(t *testing.T) {
	tests := []struct {
		name     string
		mut      func(*v1alpha1.ClusterPairRequest)
		want     map[string]string
		wantJSON string
	}{
		{
			name:     "async-dr",
			want:     map[string]string{"ip": "px.dr.example.com", "port": "9001", "token": pxToken, "mode": "DisasterRecovery"},
			wantJSON: `{"ip":"px.dr.example.com","mode":"DisasterRecovery","port":"9001","token":"` + pxToken + `"}`,
		},
		{
			name: "migration",
			mut:  func(r *v1alpha1.ClusterPairRequest) { r.Spec.Mode = v1alpha1.ModeMigration },
			want: map[string]string{"ip": "px.dr.example.com", "port": "9001", "token": pxToken, "mode": "OneTimeMigration"},
		},
		{
			name: "no mode with storage has no mode key",
			mut:  func(r *v1alpha1.ClusterPairRequest) { r.Spec.Mode = "" },
			want: map[string]string{"ip": "px.dr.example.com", "port": "9001", "token": pxToken},
		},
		{
			name: "custom port and scheme in ip",
			mut: func(r *v1alpha1.ClusterPairRequest) {
				r.Spec.Storage.IP = "https://10.1.2.3"
				r.Spec.Storage.Port = 17001
			},
			want:     map[string]string{"ip": "https://10.1.2.3", "port": "17001", "token": pxToken, "mode": "DisasterRecovery"},
			wantJSON: `{"ip":"https://10.1.2.3","mode":"DisasterRecovery","port":"17001","token":"` + pxToken + `"}`,
		},
		{
			name: "sync-dr",
			mut: func(r *v1alpha1.ClusterPairRequest) {
				r.Spec.Mode = v1alpha1.ModeSyncDR
				r.Spec.Storage = nil
			},
			want:     map[string]string{},
			wantJSON: `{}`,
		},
		{
			name:     "no mode and no storage",
			mut:      func(r *v1alpha1.ClusterPairRequest) { r.Spec.Mode = ""; r.Spec.Storage = nil },
			want:     map[string]string{},
			wantJSON: `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(tt.mut)
			requireValidRequest(t, req)
			cp, fs := render(t, req, pxToken+"\n")
			requireNoFindings(t, fs)
			if cp == nil {
				t.Fatal("nil ClusterPair")
			}
			if cp.Spec.Options == nil {
				t.Fatal("options is nil: it would marshal as null")
			}
			if !reflect.DeepEqual(cp.Spec.Options, tt.want) {
				t.Errorf("options = %v, want %v", cp.Spec.Options, tt.want)
			}
			if tt.wantJSON != "" {
				if got := string(specJSON(t, cp)["options"]); got != tt.wantJSON {
					t.Errorf("options JSON = %s, want %s", got, tt.wantJSON)
				}
			}
		})
	}
}

func TestRenderPlatformOptions(t *testing.T) {
	tests := []struct {
		name     string
		rancher  *v1alpha1.Rancher
		want     map[string]string // nil: no rancher key
		wantJSON string
	}{
		{name: "unset", wantJSON: `{}`},
		{name: "rancher without mappings", rancher: &v1alpha1.Rancher{}, wantJSON: `{}`},
		{
			name:     "string form",
			rancher:  &v1alpha1.Rancher{ProjectMappings: v1alpha1.ParseProjectMappings("p-abc=p-xyz,c-111:p-abc=c-222:p-xyz")},
			want:     map[string]string{"p-abc": "p-xyz", "c-111:p-abc": "c-222:p-xyz"},
			wantJSON: `{"rancher":{"projectMappings":{"c-111:p-abc":"c-222:p-xyz","p-abc":"p-xyz"}}}`,
		},
		{
			name:    "string form derives the project-only entry",
			rancher: &v1alpha1.Rancher{ProjectMappings: v1alpha1.ParseProjectMappings("c-111:p-abc=c-222:p-xyz")},
			want:    map[string]string{"p-abc": "p-xyz", "c-111:p-abc": "c-222:p-xyz"},
		},
		{
			name:     "map form derives project-only entries",
			rancher:  &v1alpha1.Rancher{ProjectMappings: v1alpha1.NewProjectMappings(map[string]string{"c-1:p-a": "c-2:p-b", "c-1:p-c": "c-2:p-d", "p-e": "p-f"})},
			want:     map[string]string{"c-1:p-a": "c-2:p-b", "p-a": "p-b", "c-1:p-c": "c-2:p-d", "p-c": "p-d", "p-e": "p-f"},
			wantJSON: `{"rancher":{"projectMappings":{"c-1:p-a":"c-2:p-b","c-1:p-c":"c-2:p-d","p-a":"p-b","p-c":"p-d","p-e":"p-f"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(func(r *v1alpha1.ClusterPairRequest) { r.Spec.Rancher = tt.rancher })
			cp, fs := render(t, req, pxToken)
			requireNoFindings(t, fs)
			if cp == nil {
				t.Fatal("nil ClusterPair")
			}
			var got map[string]string
			if r := cp.Spec.PlatformOptions.Rancher; r != nil {
				got = r.ProjectMappings
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("projectMappings = %v, want %v", got, tt.want)
			}
			if tt.wantJSON != "" {
				if s := string(specJSON(t, cp)["platformOptions"]); s != tt.wantJSON {
					t.Errorf("platformOptions JSON = %s, want %s", s, tt.wantJSON)
				}
			}
		})
	}
}

func TestRenderRancherErrors(t *testing.T) {
	tests := map[string]v1alpha1.ProjectMappings{
		"stray comma":            v1alpha1.ParseProjectMappings("p-a=p-b,"),
		"colon style":            v1alpha1.ParseProjectMappings("p-a: p-b"),
		"duplicate key":          v1alpha1.ParseProjectMappings("p-a=p-b,p-a=p-c"),
		"conflicting derived":    v1alpha1.ParseProjectMappings("c-1:p-a=c-2:p-b,p-a=p-z"),
		"qualified to bare":      v1alpha1.NewProjectMappings(map[string]string{"c-1:p-a": "p-b"}),
		"whitespace in map form": v1alpha1.NewProjectMappings(map[string]string{"p-a ": "p-b"}),
	}
	for name, pm := range tests {
		t.Run(name, func(t *testing.T) {
			req := newRequest(func(r *v1alpha1.ClusterPairRequest) { r.Spec.Rancher = &v1alpha1.Rancher{ProjectMappings: pm} })
			out, fs := Render(req, Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte(pxToken)})
			if out != nil {
				t.Error("want nil Output on error")
			}
			errs := fs.Errors()
			if len(errs) == 0 {
				t.Fatalf("want an error, got:\n%s", dump(fs))
			}
			for _, f := range errs {
				if f.Field != "spec.rancher.projectMappings" || f.File != "" {
					t.Errorf("finding on %q file %q, want spec.rancher.projectMappings and no file: %s", f.Field, f.File, f.Message)
				}
			}
		})
	}
}

func TestRenderMetadata(t *testing.T) {
	req := newRequest(nil)
	requireValidRequest(t, req)
	cp, fs := render(t, req, pxToken)
	requireNoFindings(t, fs)
	want := stork.ObjectMeta{
		Name:      "to-dr",
		Namespace: "apps",
		Labels:    map[string]string{"app.kubernetes.io/managed-by": "clusterpair-fn"},
		Annotations: map[string]string{
			// The test kubeconfig authenticates with an opaque token: its CA bundle is what expires.
			AnnotationCredentialsExpire: FormatExpiry(clientLeaf(getPKI(t).caPEM).NotAfter),
			// spec.gitopsEngines defaults to both engines.
			"argocd.argoproj.io/sync-options":   "Force=true,ServerSideApply=false",
			"kustomize.toolkit.fluxcd.io/force": "enabled",
		},
	}
	if cp.APIVersion != "stork.libopenstorage.org/v1alpha1" || cp.Kind != "ClusterPair" {
		t.Errorf("apiVersion/kind = %s/%s", cp.APIVersion, cp.Kind)
	}
	if !reflect.DeepEqual(cp.Metadata, want) {
		t.Errorf("metadata = %+v, want %+v (request labels/annotations are not copied)", cp.Metadata, want)
	}
	if got := cp.Spec.Config.CurrentContext; got != destContext {
		t.Errorf("config current-context = %q", got)
	}
	b, _ := json.Marshal(cp)
	if !bytes.Contains(b, []byte(`"labels":{"app.kubernetes.io/managed-by":"clusterpair-fn"}`)) {
		t.Errorf("label missing in %s", b)
	}
	if bytes.Contains(b, []byte(`"status"`)) || bytes.Contains(b, []byte(`creationTimestamp`)) {
		t.Errorf("status or creationTimestamp present: %s", b)
	}
}

func TestRenderToken(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  string // "" means an error is expected
		subs  string
	}{
		{name: "plain", token: pxToken, want: pxToken},
		{name: "trailing LF dropped", token: pxToken + "\n", want: pxToken},
		{name: "trailing CRLF dropped", token: pxToken + "\r\n", want: pxToken},
		{name: "unicode printable kept", token: "tök€n", want: "tök€n"},
		{name: "empty", token: "", subs: "empty"},
		{name: "only LF", token: "\n", subs: "empty"},
		{name: "only CRLF", token: "\r\n", subs: "empty"},
		{name: "two trailing LFs", token: pxToken + "\n\n", subs: "whitespace or a control character at byte 23"},
		{name: "trailing CRLF twice", token: pxToken + "\r\n\r\n", subs: "whitespace or a control character"},
		{name: "LF CR", token: pxToken + "\n\r", subs: "whitespace or a control character"},
		{name: "leading LF", token: "\n" + pxToken, subs: "at byte 0"},
		{name: "trailing space", token: pxToken + " ", subs: "whitespace"},
		{name: "trailing space before LF", token: pxToken + " \n", subs: "whitespace"},
		{name: "inner space", token: "px-pairing token-Zx81Qm", subs: "at byte 10"},
		{name: "inner tab", token: "px-pairing\ttoken-Zx81Qm", subs: "at byte 10"},
		{name: "inner LF", token: "px-pairing\ntoken-Zx81Qm", subs: "at byte 10"},
		{name: "NUL", token: "px-pairing\x00token-Zx81Qm", subs: "control character"},
		{name: "DEL", token: "px-pairing\x7ftoken-Zx81Qm", subs: "control character"},
		{name: "ESC", token: "px-pairing\x1btoken-Zx81Qm", subs: "control character"},
		{name: "no-break space", token: "px-pairing\u00a0token-Zx81Qm", subs: "whitespace"},
		{name: "zero-width space", token: "px-pairing\u200btoken-Zx81Qm", subs: "control character"},
		{name: "invalid UTF-8", token: "px-pairing\xfftoken-Zx81Qm", subs: "not valid UTF-8 at byte 10"},
		{name: "truncated UTF-8 at the end", token: pxToken + "\xe2\x82", subs: "not valid UTF-8 at byte 23"},
		{name: "literal U+FFFD is printable", token: "tok\uFFFDen", want: "tok\uFFFDen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp, fs := render(t, newRequest(nil), tt.token)
			if tt.want != "" {
				requireNoFindings(t, fs)
				if cp == nil {
					t.Fatal("nil ClusterPair")
				}
				if got := cp.Spec.Options["token"]; got != tt.want {
					t.Errorf("token = %q, want %q", got, tt.want)
				}
				return
			}
			if cp != nil {
				t.Error("want nil ClusterPair on a token error")
			}
			if len(fs) != 1 {
				t.Fatalf("want one finding, got:\n%s", dump(fs))
			}
			f := findingWith(t, fs, diag.Error, "spec.storage.token", tokenFile, tt.subs)
			for _, part := range []string{"px-pairing", "token-Zx81Qm", "Zx81Qm"} {
				if strings.Contains(f.Error(), part) {
					t.Errorf("finding quotes the token (%q): %s", part, f.Error())
				}
			}
		})
	}
}

func TestRenderFindings(t *testing.T) {
	t.Run("kubeconfig warnings keep the output and name field and file", func(t *testing.T) {
		kc := baseKubeconfig(t, func(c *clientcmdapi.Config) {
			c.Clusters[destCluster].CertificateAuthorityData = nil
			c.Clusters[destCluster].InsecureSkipTLSVerify = true
		})
		out, fs := Render(newRequest(nil), Secrets{Kubeconfig: kc, Token: []byte(pxToken)})
		if out == nil || out.ClusterPair == nil {
			t.Fatalf("warnings must not suppress the output:\n%s", dump(fs))
		}
		if len(fs) != 1 {
			t.Fatalf("want one finding, got:\n%s", dump(fs))
		}
		requireFinding(t, fs, diag.Warning, "spec.destination.kubeconfig", requestFile, "insecure-skip-tls-verify")
	})

	t.Run("context errors name the context field", func(t *testing.T) {
		req := newRequest(func(r *v1alpha1.ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Context = "prod" })
		out, fs := Render(req, Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte(pxToken)})
		if out != nil {
			t.Error("want nil Output")
		}
		requireFinding(t, fs, diag.Error, "spec.destination.kubeconfig.context", requestFile, `"prod"`, `"dest", "other"`)
	})

	t.Run("request context and server are used", func(t *testing.T) {
		req := newRequest(func(r *v1alpha1.ClusterPairRequest) {
			r.Spec.Destination.Kubeconfig.Context = otherContext
			r.Spec.Destination.Kubeconfig.Server = "http://other.example.net:8080"
		})
		requireValidRequest(t, req)
		out, fs := Render(req, Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte(pxToken)})
		if out == nil {
			t.Fatalf("nil Output:\n%s", dump(fs))
		}
		requireFinding(t, fs, diag.Warning, "spec.destination.kubeconfig.server", requestFile, "plain http")
		requireFinding(t, fs, diag.Warning, "spec.destination.kubeconfig", requestFile, "insecure-skip-tls-verify")
		if len(fs) != 2 {
			t.Errorf("want two findings, got:\n%s", dump(fs))
		}
		cfg := out.ClusterPair.Spec.Config
		if cfg.CurrentContext != otherContext || cfg.Clusters[otherCluster] == nil || cfg.Clusters[otherCluster].Server != "http://other.example.net:8080" {
			t.Errorf("context/server not applied: %+v", cfg)
		}
		b, _ := json.Marshal(out.ClusterPair)
		if bytes.Contains(b, []byte(destToken)) {
			t.Errorf("the dest token leaked into a pair for the other context")
		}
	})

	t.Run("every error is reported at once", func(t *testing.T) {
		req := newRequest(func(r *v1alpha1.ClusterPairRequest) {
			r.Spec.Rancher = &v1alpha1.Rancher{ProjectMappings: v1alpha1.ParseProjectMappings("p-a=")}
		})
		kc := baseKubeconfig(t, func(c *clientcmdapi.Config) { c.Clusters[destCluster].Server = "" })
		out, fs := Render(req, Secrets{Kubeconfig: kc, Token: []byte("bad token")})
		if out != nil {
			t.Error("want nil Output")
		}
		requireFinding(t, fs, diag.Error, "spec.destination.kubeconfig", requestFile, "has no server")
		requireFinding(t, fs, diag.Error, "spec.storage.token", tokenFile, "whitespace")
		requireFinding(t, fs, diag.Error, "spec.rancher.projectMappings", "", "must not be empty")
		if len(fs) != 3 {
			t.Errorf("want three findings, got:\n%s", dump(fs))
		}
		requireNotInFindings(t, fs, "bad token", destToken)
	})

	t.Run("token is ignored without storage", func(t *testing.T) {
		req := newRequest(func(r *v1alpha1.ClusterPairRequest) {
			r.Spec.Mode = v1alpha1.ModeSyncDR
			r.Spec.Storage = nil
		})
		out, fs := Render(req, Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte("not checked\n\n")})
		requireNoFindings(t, fs)
		if out == nil || len(out.ClusterPair.Spec.Options) != 0 {
			t.Errorf("want empty options, got %+v", out)
		}
	})
}

func TestRenderDeterministic(t *testing.T) {
	p := getPKI(t)
	kc := baseKubeconfig(t, func(c *clientcmdapi.Config) {
		c.AuthInfos[destUser] = &clientcmdapi.AuthInfo{
			Exec: &clientcmdapi.ExecConfig{
				Command:    "aws",
				Args:       []string{"eks", "get-token", "--cluster-name", "dest"},
				Env:        []clientcmdapi.ExecEnvVar{{Name: "Z", Value: "1"}, {Name: "A", Value: "2"}, {Name: "M", Value: "3"}},
				APIVersion: "client.authentication.k8s.io/v1",
			},
			ImpersonateUserExtra: map[string][]string{"b": {"2"}, "a": {"1"}, "c": {"3"}},
			Impersonate:          "stork",
		}
		c.Clusters[destCluster].CertificateAuthorityData = p.caPEM
		for i := 0; i < 10; i++ {
			name := string(rune('a'+i)) + "-ctx"
			c.Contexts[name] = &clientcmdapi.Context{Cluster: otherCluster, AuthInfo: otherUser}
		}
	})
	req := newRequest(func(r *v1alpha1.ClusterPairRequest) {
		r.Spec.Rancher = &v1alpha1.Rancher{ProjectMappings: v1alpha1.NewProjectMappings(map[string]string{
			"c-1:p-a": "c-2:p-b", "c-1:p-c": "c-2:p-d", "c-1:p-e": "c-2:p-f", "p-g": "p-h", "p-i": "p-j",
		})}
	})
	var first []byte
	var firstFindings diag.Findings
	for i := 0; i < 50; i++ {
		out, fs := Render(req, Secrets{Kubeconfig: kc, Token: []byte(pxToken + "\n")})
		if out == nil {
			t.Fatalf("run %d: nil Output:\n%s", i, dump(fs))
		}
		b, err := json.Marshal(out.ClusterPair)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, firstFindings = b, fs
			continue
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("run %d differs:\n%s\nvs\n%s", i, b, first)
		}
		if !reflect.DeepEqual(fs, firstFindings) {
			t.Fatalf("run %d findings differ:\n%s\nvs\n%s", i, dump(fs), dump(firstFindings))
		}
	}
}
