package v1alpha1

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

const validRequestYAML = `apiVersion: fn.clusterpair.dev/v1alpha1
kind: ClusterPairRequest
metadata:
  name: dr-west
  namespace: app
spec:
  mode: async-dr
  destination:
    kubeconfig:
      file: secrets/kubeconfig.yaml
      key: clusters.west
      format: yaml
      context: west-admin
      server: https://10.1.2.3:6443
  storage:
    ip: px-api.west.example.com
    port: 9020
    token:
      file: px.env
      key: PX_TOKEN
      format: dotenv
      allowUnencrypted: true
  rancher:
    projectMappings:
      p-abc: p-xyz
      c-111:p-abc: c-222:p-xyz
`

func TestDecodeValidRequest(t *testing.T) {
	req, fs, err := Decode([]byte(validRequestYAML))
	if err != nil {
		t.Fatalf("Decode: unexpected error: %v", err)
	}
	if len(fs) != 0 {
		t.Fatalf("Decode: unexpected findings: %v", fs)
	}
	if req.APIVersion != APIVersion || req.Kind != Kind {
		t.Errorf("apiVersion/kind = %q/%q", req.APIVersion, req.Kind)
	}
	if req.Metadata.Name != "dr-west" || req.Metadata.Namespace != "app" {
		t.Errorf("metadata = %q/%q", req.Metadata.Name, req.Metadata.Namespace)
	}
	wantKC := KubeconfigSource{
		SecretRef: SecretRef{File: "secrets/kubeconfig.yaml", Key: "clusters.west", Format: "yaml"},
		Context:   "west-admin",
		Server:    "https://10.1.2.3:6443",
	}
	if got := req.Spec.Destination.Kubeconfig; got != wantKC {
		t.Errorf("kubeconfig = %+v, want %+v", got, wantKC)
	}
	wantStorage := Storage{
		IP:    "px-api.west.example.com",
		Port:  9020,
		Token: SecretRef{File: "px.env", Key: "PX_TOKEN", Format: "dotenv", AllowUnencrypted: true},
	}
	if req.Spec.Storage == nil || *req.Spec.Storage != wantStorage {
		t.Errorf("storage = %+v, want %+v", req.Spec.Storage, wantStorage)
	}
	if req.Spec.Mode != ModeAsyncDR {
		t.Errorf("mode = %q", req.Spec.Mode)
	}
	if req.Spec.Rancher == nil {
		t.Fatal("rancher is nil")
	}
	got, problems := req.Spec.Rancher.ProjectMappings.Resolve()
	want := map[string]string{"p-abc": "p-xyz", "c-111:p-abc": "c-222:p-xyz"}
	if len(problems) != 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("projectMappings = %v %v, want %v", got, problems, want)
	}
}

func TestDecodeJSON(t *testing.T) {
	doc := `{"apiVersion":"fn.clusterpair.dev/v1alpha1","kind":"ClusterPairRequest",
	"metadata":{"name":"p","namespace":"n"},
	"spec":{"mode":"sync-dr","destination":{"kubeconfig":{"file":"kc.yaml"}},
	"rancher":{"projectMappings":"p-a=p-b"}}}`
	req, fs, err := Decode([]byte(doc))
	if err != nil || len(fs) != 0 {
		t.Fatalf("Decode: %v %v", err, fs)
	}
	if req.Spec.Mode != ModeSyncDR || req.Spec.Destination.Kubeconfig.File != "kc.yaml" || req.Spec.Storage != nil {
		t.Errorf("decoded %+v", req.Spec)
	}
	got, problems := req.Spec.Rancher.ProjectMappings.Resolve()
	if len(problems) != 0 || !reflect.DeepEqual(got, map[string]string{"p-a": "p-b"}) {
		t.Errorf("projectMappings = %v %v", got, problems)
	}
}

// header is a valid start of a request; tests append a spec.
const header = "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: p\n  namespace: n\n"

func TestDecodeUnknownFields(t *testing.T) {
	type want struct{ field, msg string }
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{
			name: "misspelled spec field",
			doc:  header + "spec:\n  destinaton:\n    kubeconfig: {file: kc.yaml}\n",
			want: []want{{"spec.destinaton", `unknown field "destinaton" (did you mean "destination"?)`}},
		},
		{
			name: "misspelled storage field",
			doc:  header + "spec:\n  destination: {kubeconfig: {file: kc.yaml}}\n  storage:\n    ip: px\n    tokne: {file: t.enc}\n",
			want: []want{{"spec.storage.tokne", `unknown field "tokne" (did you mean "token"?)`}},
		},
		{
			name: "misspelled field of the inline secret ref",
			doc:  header + "spec:\n  destination:\n    kubeconfig: {fiel: kc.yaml, contxt: a}\n",
			want: []want{
				{"spec.destination.kubeconfig.contxt", `(did you mean "context"?)`},
				{"spec.destination.kubeconfig.fiel", `(did you mean "file"?)`},
			},
		},
		{
			name: "deepest level",
			doc:  header + "spec:\n  destination: {kubeconfig: {file: kc.yaml}}\n  storage:\n    ip: px\n    token: {file: t.enc, allowUnencripted: true}\n",
			want: []want{{"spec.storage.token.allowUnencripted", `(did you mean "allowUnencrypted"?)`}},
		},
		{
			name: "wrong case is unknown",
			doc:  header + "spec:\n  Destination: {kubeconfig: {file: kc.yaml}}\n",
			want: []want{{"spec.Destination", `(did you mean "destination"?)`}},
		},
		{
			name: "no close match lists the known fields",
			doc:  header + "spec:\n  destination: {kubeconfig: {file: kc.yaml}}\n  frobnicate: 1\n",
			want: []want{{"spec.frobnicate", "known fields here: credentialExpiryWarning, destination, gitopsEngines, mode, objectStore, output, rancher, reverse, storage"}},
		},
		{
			name: "unknown top-level fields",
			doc:  header + "spec:\n  destination: {kubeconfig: {file: kc.yaml}}\nstatus: {}\ndata: {}\n",
			want: []want{
				{"data", "known fields here: apiVersion, kind, metadata, spec"},
				{"status", `unknown field "status"`},
			},
		},
		{
			name: "unknown metadata field",
			doc:  "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata: {name: p, namespace: n, namespce: x}\nspec: {}\n",
			want: []want{{"metadata.namespce", `(did you mean "namespace"?)`}},
		},
		{
			name: "unknown rancher field",
			doc:  header + "spec:\n  rancher: {projectMapping: {a: b}}\n",
			want: []want{{"spec.rancher.projectMapping", `(did you mean "projectMappings"?)`}},
		},
		{
			name: "object store settings and their secret references",
			doc: header + "spec:\n  objectStore:\n    provider: s3\n    buckett: b\n    s3:\n      endpiont: minio\n" +
				"      accessKeyID: {file: a, formt: yaml}\n",
			want: []want{
				{"spec.objectStore.buckett", `(did you mean "bucket"?)`},
				{"spec.objectStore.s3.accessKeyID.formt", `(did you mean "format"?)`},
				{"spec.objectStore.s3.endpiont", `(did you mean "endpoint"?)`},
			},
		},
		{
			name: "a provider's field under another provider",
			doc:  header + "spec:\n  objectStore:\n    provider: nfs\n    nfs: {server: nfs, bucket: b}\n",
			want: []want{{"spec.objectStore.nfs.bucket", "known fields here: exportPath, mountOptions, server, subPath, timeoutSeconds"}},
		},
		{
			name: "reverse storage and kubeconfig",
			doc: header + "spec:\n  reverse:\n    kubeconfig: {file: k, contex: a}\n" +
				"    storage: {ip: px, tokne: {file: t}}\n",
			want: []want{
				{"spec.reverse.kubeconfig.contex", `(did you mean "context"?)`},
				{"spec.reverse.storage.tokne", `(did you mean "token"?)`},
			},
		},
		{
			name: "output recipients, key groups and KMS keys",
			doc: header + "spec:\n  output:\n    encrypt:\n      ages: [x]\n      keyGroups:\n        - {age: [x]}\n" +
				"        - {awsKms: [{arn: a, rol: r}]}\n    plaintxt: allow\n",
			want: []want{
				{"spec.output.encrypt.ages", `(did you mean "age"?)`},
				{"spec.output.encrypt.keyGroups[1].awsKms[0].rol", `(did you mean "role"?)`},
				{"spec.output.plaintxt", `(did you mean "plaintext"?)`},
			},
		},
		{
			name: "shamirThreshold belongs to encrypt, not to a group",
			doc:  header + "spec:\n  reverse:\n    output:\n      encrypt:\n        keyGroups: [{age: [x], shamirThreshold: 2}]\n",
			want: []want{{"spec.reverse.output.encrypt.keyGroups[0].shamirThreshold", `unknown field "shamirThreshold"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, fs, err := Decode([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Decode: unexpected error %v", err)
			}
			if req == nil {
				t.Fatal("Decode returned no request alongside the findings")
			}
			if len(fs) != len(tt.want) {
				t.Fatalf("findings = %v, want %d", fs, len(tt.want))
			}
			for i, w := range tt.want {
				f := fs[i]
				if f.Severity != diag.Error || f.Field != w.field || !strings.Contains(f.Message, w.msg) {
					t.Errorf("finding %d = %+v, want error on %q containing %q", i, f, w.field, w.msg)
				}
			}
		})
	}
}

// Unknown fields do not stop the rest of the request from being decoded.
func TestDecodeUnknownFieldKeepsTheRest(t *testing.T) {
	req, fs, err := Decode([]byte(header + "spec:\n  mode: migration\n  destination: {kubeconfig: {file: kc.yaml}}\n  extra: 1\n"))
	if err != nil || len(fs) != 1 {
		t.Fatalf("Decode: %v %v", err, fs)
	}
	if req.Spec.Mode != ModeMigration || req.Spec.Destination.Kubeconfig.File != "kc.yaml" {
		t.Errorf("spec = %+v", req.Spec)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"empty document"}},
		{"whitespace only", "  \n\n", []string{"empty document"}},
		{"comment only", "# nothing\n", []string{"empty document"}},
		{"null", "null\n", []string{"empty document"}},
		{"invalid YAML", "apiVersion: [\n", []string{"not a valid YAML object"}},
		{"bad indentation", "a:\n  b: 1\n c: 2\n", []string{"not a valid YAML object"}},
		{"a list", "- a\n- b\n", []string{"not a valid YAML object", "array"}},
		{"a scalar", "hello\n", []string{"not a valid YAML object", "string"}},
		{"missing apiVersion", "kind: ClusterPairRequest\n", []string{`apiVersion: must be "fn.clusterpair.dev/v1alpha1", got nothing`}},
		{"wrong apiVersion", "apiVersion: fn.clusterpair.dev/v1beta1\nkind: ClusterPairRequest\n", []string{`apiVersion: must be "fn.clusterpair.dev/v1alpha1", got "fn.clusterpair.dev/v1beta1"`}},
		{"wrong group", "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: ClusterPairRequest\n", []string{`got "stork.libopenstorage.org/v1alpha1"`}},
		{"wrong kind", "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPair\n", []string{`kind: must be "ClusterPairRequest", got "ClusterPair"`}},
		{"kind case", "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: clusterpairrequest\n", []string{`kind: must be "ClusterPairRequest"`}},
		{"missing kind", "apiVersion: fn.clusterpair.dev/v1alpha1\n", []string{`kind: must be "ClusterPairRequest", got nothing`}},
		{"port not a number", header + "spec:\n  storage:\n    ip: px\n    port: abc\n", []string{"spec.storage.port", "must be a whole number (unquoted), not a string"}},
		{"port quoted", header + "spec:\n  storage:\n    ip: px\n    port: \"9001\"\n", []string{"spec.storage.port", "must be a whole number (unquoted)"}},
		{"token inline string", header + "spec:\n  storage:\n    ip: px\n    token: inline-string\n", []string{"spec.storage.token", "must be a mapping with fields, not a string"}},
		{"kubeconfig inline string", header + "spec:\n  destination:\n    kubeconfig: apiVersion-v1\n", []string{"spec.destination.kubeconfig", "must be a mapping with fields, not a string"}},
		{"spec a list", header + "spec: [a]\n", []string{"spec", "array"}},
		{"allowUnencrypted not bool", header + "spec:\n  storage:\n    token: {file: t, allowUnencrypted: yes-please}\n", []string{"spec.storage.token.allowUnencrypted", "must be true or false, not a string"}},
		{"projectMappings a number", header + "spec:\n  rancher:\n    projectMappings: 5\n", []string{"projectMappings must be a map of strings or a string"}},
		{"projectMappings a list", header + "spec:\n  rancher:\n    projectMappings: [p-a=p-b]\n", []string{"projectMappings must be a map of strings or a string"}},
		{"projectMappings non-string value", header + "spec:\n  rancher:\n    projectMappings: {p-a: 1}\n", []string{"projectMappings must be a map of strings or a string"}},
		{"duplicate top-level key", header + "kind: ClusterPairRequest\nspec: {}\n", []string{`line 6: key "kind" is duplicated`}},
		{"duplicate spec key", header + "spec:\n  mode: async-dr\n  mode: sync-dr\n", []string{`key "mode" is duplicated`}},
		{"duplicate nested key", header + "spec:\n  storage:\n    ip: a\n    port: 1\n    ip: b\n", []string{`line 10: key "ip" is duplicated`}},
		{"duplicate key, quoted and plain", header + "spec:\n  storage:\n    ip: a\n    \"ip\": b\n", []string{`key "ip" is duplicated`}},
		{"duplicate key in a flow mapping", header + "spec: {mode: a, mode: b}\n", []string{`key "mode" is duplicated`}},
		{"duplicate projectMappings key", header + "spec:\n  rancher:\n    projectMappings:\n      p-a: p-b\n      p-a: p-c\n", []string{`key "p-a" is duplicated`}},
		{"duplicate key in JSON", `{"apiVersion":"fn.clusterpair.dev/v1alpha1","kind":"ClusterPairRequest","spec":{"mode":"a","mode":"b"}}`, []string{`key "mode" is duplicated`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, fs, err := Decode([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Decode succeeded (req=%+v, findings=%v), want an error", req, fs)
			}
			if req != nil || fs != nil {
				t.Errorf("Decode returned a request or findings with its error: %+v %v", req, fs)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, noise := range []string{"error converting YAML to JSON", "error unmarshaling JSON", "json: ", "\n"} {
				if strings.Contains(err.Error(), noise) {
					t.Errorf("error %q still contains %q", err, noise)
				}
			}
		})
	}
}

func TestDecodeAcceptsStandardMetadata(t *testing.T) {
	doc := `apiVersion: fn.clusterpair.dev/v1alpha1
kind: ClusterPairRequest
metadata:
  name: p
  namespace: n
  uid: 0b7e2c1a-7d5c-4c8e-9d7f-2f0a1b2c3d4e
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2024-01-02T03:04:05Z"
  labels:
    team: storage
  annotations:
    config.kubernetes.io/index: "0"
    config.kubernetes.io/function: |
      exec:
        path: clusterpair-fn
spec:
  destination:
    kubeconfig:
      file: kc.yaml
`
	req, fs, err := Decode([]byte(doc))
	if err != nil || len(fs) != 0 {
		t.Fatalf("Decode: %v %v", err, fs)
	}
	m := req.Metadata
	if string(m.UID) != "0b7e2c1a-7d5c-4c8e-9d7f-2f0a1b2c3d4e" || m.Labels["team"] != "storage" ||
		m.Annotations["config.kubernetes.io/index"] != "0" || m.Generation != 3 || m.CreationTimestamp.Year() != 2024 {
		t.Errorf("metadata = %+v", m)
	}
}

func TestCloseMatch(t *testing.T) {
	tests := []struct {
		in         string
		candidates []string
		want       string
	}{
		{"destinaton", []string{"destination", "storage"}, "destination"},
		{"tokne", []string{"ip", "port", "token"}, "token"},
		{"PORT", []string{"ip", "port", "token"}, "port"},
		{"modes", []string{"mode", "storage"}, "mode"},
		{"kubeconfigg", []string{"kubeconfig"}, "kubeconfig"},
		{"allowUnencripted", []string{"allowUnencrypted", "file"}, "allowUnencrypted"},
		{"frobnicate", []string{"destination", "mode", "rancher", "storage"}, ""},
		{"zzzzzz", []string{"port"}, ""},
	}
	for _, tt := range tests {
		if got := closest(tt.in, tt.candidates); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"tokne", "token", 2}, {"héllo", "hello", 1}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
