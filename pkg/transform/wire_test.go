package transform

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	kjson "sigs.k8s.io/json"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// The types below replicate what Stork decodes ClusterPair into: its
// v1alpha1 ClusterPair with client-go v0.25's INTERNAL clientcmd api.Config
// (vendor/k8s.io/client-go/tools/clientcmd/api/types.go at v0.25.0). Untagged
// fields keep their Go names as JSON keys (LocationOfOrigin, InteractiveMode,
// StdinUnavailable, ...); disable-compression does not exist yet; extensions
// and exec Config are runtime.Object interfaces, which only decode from null.

type v025ClusterPair struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              v025ClusterPairSpec   `json:"spec"`
	Status            v025ClusterPairStatus `json:"status"`
}

type v025ClusterPairSpec struct {
	Config          v025Config        `json:"config"`
	Options         map[string]string `json:"options"`
	PlatformOptions v025PlatformSpec  `json:"platformOptions"`
}

type v025PlatformSpec struct {
	Rancher *v025RancherSpec `json:"rancher,omitempty"`
}

type v025RancherSpec struct {
	ProjectMappings map[string]string `json:"projectMappings,omitempty"`
}

type v025ClusterPairStatus struct {
	SchedulerStatus string `json:"schedulerStatus"`
	StorageStatus   string `json:"storageStatus"`
	RemoteStorageID string `json:"remoteStorageId"`
}

type v025Config struct {
	Kind           string                    `json:"kind,omitempty"`
	APIVersion     string                    `json:"apiVersion,omitempty"`
	Preferences    v025Preferences           `json:"preferences"`
	Clusters       map[string]*v025Cluster   `json:"clusters"`
	AuthInfos      map[string]*v025AuthInfo  `json:"users"`
	Contexts       map[string]*v025Context   `json:"contexts"`
	CurrentContext string                    `json:"current-context"`
	Extensions     map[string]runtime.Object `json:"extensions,omitempty"`
}

type v025Preferences struct {
	Colors     bool                      `json:"colors,omitempty"`
	Extensions map[string]runtime.Object `json:"extensions,omitempty"`
}

type v025Cluster struct {
	LocationOfOrigin         string
	Server                   string                    `json:"server"`
	TLSServerName            string                    `json:"tls-server-name,omitempty"`
	InsecureSkipTLSVerify    bool                      `json:"insecure-skip-tls-verify,omitempty"`
	CertificateAuthority     string                    `json:"certificate-authority,omitempty"`
	CertificateAuthorityData []byte                    `json:"certificate-authority-data,omitempty"`
	ProxyURL                 string                    `json:"proxy-url,omitempty"`
	Extensions               map[string]runtime.Object `json:"extensions,omitempty"`
}

type v025AuthInfo struct {
	LocationOfOrigin      string
	ClientCertificate     string                    `json:"client-certificate,omitempty"`
	ClientCertificateData []byte                    `json:"client-certificate-data,omitempty"`
	ClientKey             string                    `json:"client-key,omitempty"`
	ClientKeyData         []byte                    `json:"client-key-data,omitempty"`
	Token                 string                    `json:"token,omitempty"`
	TokenFile             string                    `json:"tokenFile,omitempty"`
	Impersonate           string                    `json:"act-as,omitempty"`
	ImpersonateUID        string                    `json:"act-as-uid,omitempty"`
	ImpersonateGroups     []string                  `json:"act-as-groups,omitempty"`
	ImpersonateUserExtra  map[string][]string       `json:"act-as-user-extra,omitempty"`
	Username              string                    `json:"username,omitempty"`
	Password              string                    `json:"password,omitempty"`
	AuthProvider          *v025AuthProviderConfig   `json:"auth-provider,omitempty"`
	Exec                  *v025ExecConfig           `json:"exec,omitempty"`
	Extensions            map[string]runtime.Object `json:"extensions,omitempty"`
}

type v025Context struct {
	LocationOfOrigin string
	Cluster          string                    `json:"cluster"`
	AuthInfo         string                    `json:"user"`
	Namespace        string                    `json:"namespace,omitempty"`
	Extensions       map[string]runtime.Object `json:"extensions,omitempty"`
}

type v025AuthProviderConfig struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config,omitempty"`
}

type v025ExecConfig struct {
	Command                 string           `json:"command"`
	Args                    []string         `json:"args"`
	Env                     []v025ExecEnvVar `json:"env"`
	APIVersion              string           `json:"apiVersion,omitempty"`
	InstallHint             string           `json:"installHint,omitempty"`
	ProvideClusterInfo      bool             `json:"provideClusterInfo"`
	Config                  runtime.Object
	InteractiveMode         string
	StdinUnavailable        bool
	StdinUnavailableMessage string
}

type v025ExecEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// decodeLikeStork decodes data the way Stork's client does (case-sensitive,
// ints preserved) into v, and fails the test on any key Stork's types
// do not know: such a key is silently ignored by Stork, which is how
// interactiveMode (lower-case i) got lost.
func decodeLikeStork(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, v); err != nil {
		t.Fatalf("Stork's decoder rejects the object: %v\n%s", err, data)
	}
	strict, err := kjson.UnmarshalStrict(data, v, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	for _, e := range strict {
		t.Errorf("key unknown to Stork (silently dropped by it): %v", e)
	}
}

// toClientcmdV025 converts the decoded Stork view to client-go's type the way
// Stork holds it in memory, field by field.
func toClientcmdV025(c v025Config) clientcmdapi.Config {
	out := *clientcmdapi.NewConfig()
	out.CurrentContext = c.CurrentContext
	for n, cl := range c.Clusters {
		out.Clusters[n] = &clientcmdapi.Cluster{
			Server: cl.Server, TLSServerName: cl.TLSServerName, InsecureSkipTLSVerify: cl.InsecureSkipTLSVerify,
			CertificateAuthority: cl.CertificateAuthority, CertificateAuthorityData: cl.CertificateAuthorityData, ProxyURL: cl.ProxyURL,
		}
	}
	for n, u := range c.AuthInfos {
		a := &clientcmdapi.AuthInfo{
			ClientCertificate: u.ClientCertificate, ClientCertificateData: u.ClientCertificateData,
			ClientKey: u.ClientKey, ClientKeyData: u.ClientKeyData, Token: u.Token, TokenFile: u.TokenFile,
			Impersonate: u.Impersonate, ImpersonateUID: u.ImpersonateUID, ImpersonateGroups: u.ImpersonateGroups,
			ImpersonateUserExtra: u.ImpersonateUserExtra, Username: u.Username, Password: u.Password,
		}
		if p := u.AuthProvider; p != nil {
			a.AuthProvider = &clientcmdapi.AuthProviderConfig{Name: p.Name, Config: p.Config}
		}
		if e := u.Exec; e != nil {
			var env []clientcmdapi.ExecEnvVar
			for _, v := range e.Env {
				env = append(env, clientcmdapi.ExecEnvVar{Name: v.Name, Value: v.Value})
			}
			a.Exec = &clientcmdapi.ExecConfig{
				Command: e.Command, Args: e.Args, Env: env, APIVersion: e.APIVersion, InstallHint: e.InstallHint,
				ProvideClusterInfo: e.ProvideClusterInfo, InteractiveMode: clientcmdapi.ExecInteractiveMode(e.InteractiveMode),
			}
		}
		out.AuthInfos[n] = a
	}
	for n, x := range c.Contexts {
		out.Contexts[n] = &clientcmdapi.Context{Cluster: x.Cluster, AuthInfo: x.AuthInfo, Namespace: x.Namespace}
	}
	return out
}

// storkClientConfig is what Stork's controller does with spec.config.
func storkClientConfig(c v025Config) error {
	cfg := toClientcmdV025(c)
	_, err := clientcmd.NewNonInteractiveClientConfig(cfg, cfg.CurrentContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	return err
}

// requireV025Decodable marshals a rendered config, decodes it as Stork would
// and checks that Stork could build a client from it.
func requireV025Decodable(t *testing.T, c *stork.Config) {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var got v025Config
	decodeLikeStork(t, b, &got)
	if err := storkClientConfig(got); err != nil {
		t.Errorf("Stork could not build a client from the decoded config: %v\n%s", err, b)
	}
}

// wireVariants are rendered pairs covering every kind of user and option set.
func wireVariants(t *testing.T) map[string]*stork.ClusterPair {
	t.Helper()
	p := getPKI(t)
	withUser := func(u *clientcmdapi.AuthInfo) []byte {
		return baseKubeconfig(t, func(c *clientcmdapi.Config) { c.AuthInfos[destUser] = u })
	}
	execUser := &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		Command:    "aws",
		Args:       []string{"eks", "get-token", "--cluster-name", "dest"},
		Env:        []clientcmdapi.ExecEnvVar{{Name: "AWS_PROFILE", Value: "dr"}},
		APIVersion: "client.authentication.k8s.io/v1",
	}}
	variants := map[string]struct {
		req *v1alpha1.ClusterPairRequest
		kc  []byte
	}{
		"async-dr token user": {req: newRequest(nil), kc: baseKubeconfig(t, nil)},
		"migration exec user": {
			req: newRequest(func(r *v1alpha1.ClusterPairRequest) { r.Spec.Mode = v1alpha1.ModeMigration }),
			kc:  withUser(execUser),
		},
		"sync-dr client cert user with rancher": {
			req: newRequest(func(r *v1alpha1.ClusterPairRequest) {
				r.Spec.Mode = v1alpha1.ModeSyncDR
				r.Spec.Storage = nil
				r.Spec.Rancher = &v1alpha1.Rancher{ProjectMappings: v1alpha1.ParseProjectMappings("p-abc=p-xyz,c-111:p-abc=c-222:p-xyz")}
			}),
			kc: withUser(&clientcmdapi.AuthInfo{ClientCertificateData: p.certPEM, ClientKeyData: p.keyPEM}),
		},
		"default mode auth-provider user": {
			req: newRequest(func(r *v1alpha1.ClusterPairRequest) { r.Spec.Mode = "" }),
			kc:  withUser(&clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"client-id": "stork"}}}),
		},
		"exec user with IfAvailable": {
			req: newRequest(nil),
			kc: withUser(&clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
				Command: "kubelogin", Args: []string{"get-token"}, APIVersion: "client.authentication.k8s.io/v1beta1",
			}}),
		},
	}
	out := map[string]*stork.ClusterPair{}
	for name, v := range variants {
		o, fs := Render(v.req, Secrets{Kubeconfig: v.kc, Token: []byte(pxToken + "\n")})
		if fs.HasErrors() || o == nil {
			t.Fatalf("%s: Render failed:\n%s", name, dump(fs))
		}
		out[name] = o.ClusterPair
	}
	return out
}

func TestWireShapeDecodesAsStork(t *testing.T) {
	for name, cp := range wireVariants(t) {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(cp)
			if err != nil {
				t.Fatal(err)
			}

			// Stork's own decoder, strictly: every key must be one Stork knows.
			var decoded v025ClusterPair
			decodeLikeStork(t, b, &decoded)
			if decoded.APIVersion != stork.APIVersion || decoded.Kind != stork.ClusterPairKind {
				t.Errorf("TypeMeta = %+v", decoded.TypeMeta)
			}
			if decoded.Status != (v025ClusterPairStatus{}) {
				t.Errorf("status decoded non-empty: %+v", decoded.Status)
			}
			if err := storkClientConfig(decoded.Spec.Config); err != nil {
				t.Errorf("Stork's NewNonInteractiveClientConfig(...).ClientConfig() fails: %v", err)
			}
			if err := ConfirmUsable(&cp.Spec.Config); err != nil {
				t.Errorf("transform.ConfirmUsable: %v", err)
			}
			for u, a := range decoded.Spec.Config.AuthInfos {
				if a.Exec != nil && a.Exec.InteractiveMode != string(cp.Spec.Config.AuthInfos[u].Exec.InteractiveMode) {
					t.Errorf("user %q: Stork reads InteractiveMode %q, rendered %q", u, a.Exec.InteractiveMode, cp.Spec.Config.AuthInfos[u].Exec.InteractiveMode)
				}
			}

			// The raw JSON, key by key.
			var top map[string]json.RawMessage
			mustUnmarshal(t, b, &top)
			if got := sortedRawKeys(top); got != "apiVersion,kind,metadata,spec" {
				t.Errorf("top-level keys = %s (no status, nothing else)", got)
			}
			var meta map[string]json.RawMessage
			mustUnmarshal(t, top["metadata"], &meta)
			if _, ok := meta["creationTimestamp"]; ok {
				t.Error("metadata has creationTimestamp")
			}
			var spec map[string]json.RawMessage
			mustUnmarshal(t, top["spec"], &spec)
			if got := sortedRawKeys(spec); got != "config,options,platformOptions" {
				t.Errorf("spec keys = %s", got)
			}
			requireObject(t, "spec.options", spec["options"])
			requireObject(t, "spec.platformOptions", spec["platformOptions"])
			var options map[string]any
			mustUnmarshal(t, spec["options"], &options)
			for k, v := range options {
				if _, ok := v.(string); !ok {
					t.Errorf("options.%s = %v (%T), want a JSON string", k, v, v)
				}
			}
			if port, ok := options["port"]; ok && port != "9001" {
				t.Errorf(`options.port = %#v, want "9001"`, port)
			}
			if ok := bytes.Contains(spec["options"], []byte(`"port":"9001"`)); !ok && options["port"] != nil {
				t.Errorf(`options must carry "port":"9001" as a string: %s`, spec["options"])
			}

			var config map[string]json.RawMessage
			mustUnmarshal(t, spec["config"], &config)
			if got := sortedRawKeys(config); got != "clusters,contexts,current-context,preferences,users" {
				t.Errorf("config keys = %s", got)
			}
			if string(config["preferences"]) != "{}" {
				t.Errorf("preferences = %s, want {}", config["preferences"])
			}
			for _, k := range []string{"clusters", "users", "contexts"} {
				requireObject(t, "config."+k, config[k])
			}
			var users map[string]map[string]json.RawMessage
			mustUnmarshal(t, config["users"], &users)
			for name, u := range users {
				ex, ok := u["exec"]
				if !ok {
					continue
				}
				var exec map[string]json.RawMessage
				mustUnmarshal(t, ex, &exec)
				if _, ok := exec["InteractiveMode"]; !ok {
					t.Errorf("user %q exec lacks InteractiveMode: %s", name, ex)
				}
				if _, ok := exec["interactiveMode"]; ok {
					t.Errorf("user %q exec has the kubeconfig spelling interactiveMode: %s", name, ex)
				}
			}
			for _, s := range []string{`"LocationOfOrigin"`, `"extensions"`, `"status"`, `"disable-compression"`, otherToken} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("output contains %s:\n%s", s, b)
				}
			}
		})
	}
}

// TestWireDecoderIsDiscriminating proves the harness above catches the
// mistakes it is meant to catch: each payload is a known way to break Stork.
func TestWireDecoderIsDiscriminating(t *testing.T) {
	base := func(spec string) []byte {
		return []byte(`{"apiVersion":"stork.libopenstorage.org/v1alpha1","kind":"ClusterPair","metadata":{"name":"x"},"spec":` + spec + `}`)
	}
	good := `{"config":{"preferences":{},"clusters":{"k":{"server":"https://h:6443"}},"users":{"u":{"exec":{"command":"c","args":null,"env":null,"apiVersion":"client.authentication.k8s.io/v1","provideClusterInfo":false,"InteractiveMode":"Never"}}},"contexts":{"c":{"cluster":"k","user":"u"}},"current-context":"c"},"options":{"port":"9001"},"platformOptions":{}}`
	var ok v025ClusterPair
	if err := kjson.UnmarshalCaseSensitivePreserveInts(base(good), &ok); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	if strict, _ := kjson.UnmarshalStrict(base(good), &ok, kjson.DisallowUnknownFields); len(strict) != 0 {
		t.Fatalf("baseline strict: %v", strict)
	}
	if err := storkClientConfig(ok.Spec.Config); err != nil {
		t.Fatalf("baseline client config: %v", err)
	}

	// Lower-case interactiveMode: ignored by the case-sensitive decoder, then
	// rejected when Stork builds the client.
	lower := strings.Replace(good, `"InteractiveMode"`, `"interactiveMode"`, 1)
	var cp v025ClusterPair
	if err := kjson.UnmarshalCaseSensitivePreserveInts(base(lower), &cp); err != nil {
		t.Fatal(err)
	}
	if mode := cp.Spec.Config.AuthInfos["u"].Exec.InteractiveMode; mode != "" {
		t.Errorf("case-sensitive decode read interactiveMode into InteractiveMode (%q)", mode)
	}
	if strict, _ := kjson.UnmarshalStrict(base(lower), &v025ClusterPair{}, kjson.DisallowUnknownFields); len(strict) == 0 {
		t.Error("strict decode did not flag interactiveMode as unknown")
	}
	if err := storkClientConfig(cp.Spec.Config); err == nil || !strings.Contains(err.Error(), "interactiveMode must be specified") {
		t.Errorf("want interactiveMode must be specified, got %v", err)
	}

	for name, spec := range map[string]string{
		"numeric port":    strings.Replace(good, `"port":"9001"`, `"port":9001`, 1),
		"clusters list":   strings.Replace(good, `"clusters":{"k":{"server":"https://h:6443"}}`, `"clusters":[{"name":"k","cluster":{"server":"https://h:6443"}}]`, 1),
		"extension":       strings.Replace(good, `{"server":"https://h:6443"}`, `{"server":"https://h:6443","extensions":{"e":{"a":"b"}}}`, 1),
		"options is list": strings.Replace(good, `"options":{"port":"9001"}`, `"options":["port"]`, 1),
	} {
		if err := kjson.UnmarshalCaseSensitivePreserveInts(base(spec), &v025ClusterPair{}); err == nil {
			t.Errorf("%s: Stork's decoder accepted it", name)
		}
	}
	// disable-compression is unknown to v0.25: dropped silently, flagged strictly.
	dc := strings.Replace(good, `{"server":"https://h:6443"}`, `{"server":"https://h:6443","disable-compression":true}`, 1)
	if strict, _ := kjson.UnmarshalStrict(base(dc), &v025ClusterPair{}, kjson.DisallowUnknownFields); len(strict) == 0 {
		t.Error("strict decode did not flag disable-compression")
	}
}

// TestStorkTypesMarshal checks the wire types on their own, independent of
// what the transform currently fills in.
func TestStorkTypesMarshal(t *testing.T) {
	cp := stork.ClusterPair{
		APIVersion: stork.APIVersion,
		Kind:       stork.ClusterPairKind,
		Metadata:   stork.ObjectMeta{Name: "p"},
		Spec: stork.ClusterPairSpec{
			Config: stork.Config{
				AuthInfos: map[string]*stork.AuthInfo{"u": {Exec: &stork.ExecConfig{Command: "c", InteractiveMode: "Never"}}},
			},
			Options: map[string]string{},
		},
	}
	b, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"stork.libopenstorage.org/v1alpha1","kind":"ClusterPair","metadata":{"name":"p"},"spec":{"config":{"preferences":{},"clusters":null,"users":{"u":{"exec":{"command":"c","args":null,"env":null,"provideClusterInfo":false,"InteractiveMode":"Never"}}},"contexts":null,"current-context":""},"options":{},"platformOptions":{}}}`
	if string(b) != want {
		t.Errorf("marshal mismatch\n got %s\nwant %s", b, want)
	}
	var decoded v025ClusterPair
	decodeLikeStork(t, b, &decoded)
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
}

func requireObject(t *testing.T, what string, raw json.RawMessage) {
	t.Helper()
	if len(raw) == 0 || raw[0] != '{' {
		t.Errorf("%s = %s, want a JSON object", what, raw)
	}
}

func sortedRawKeys(m map[string]json.RawMessage) string {
	return strings.Join(keys(m), ",")
}
