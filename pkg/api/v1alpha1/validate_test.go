package v1alpha1

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// validRequest returns a request that Validate accepts without findings.
func validRequest() *ClusterPairRequest {
	return &ClusterPairRequest{
		APIVersion: APIVersion,
		Kind:       Kind,
		Spec: ClusterPairRequestSpec{
			Mode: ModeAsyncDR,
			Destination: Destination{Kubeconfig: KubeconfigSource{
				SecretRef: SecretRef{File: "kubeconfig.yaml"},
			}},
			Storage: &Storage{
				IP:    "px-api.west.example.com",
				Port:  9001,
				Token: SecretRef{File: "px-token.enc"},
			},
		},
		Metadata: metav1.ObjectMeta{Name: "dr-west", Namespace: "app"},
	}
}

// expect is one finding a case expects: severity, field and a message substring.
type expect struct {
	sev   diag.Severity
	field string
	msg   string
}

func errorOn(field, msg string) expect { return expect{diag.Error, field, msg} }
func warnOn(field, msg string) expect  { return expect{diag.Warning, field, msg} }

func checkFindings(t *testing.T, got diag.Findings, want []expect) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n got  %v\n want %v", len(got), len(want), got, want)
	}
	for i, w := range want {
		f := got[i]
		if f.Severity != w.sev || f.Field != w.field || !strings.Contains(f.Message, w.msg) {
			t.Errorf("finding %d = %s %q %q\n want %s %q containing %q", i, f.Severity, f.Field, f.Message, w.sev, w.field, w.msg)
		}
		if f.File != "" {
			t.Errorf("finding %d names a file (%q); Validate reads none", i, f.File)
		}
	}
}

func TestValidateValid(t *testing.T) {
	checkFindings(t, validRequest().Validate(), nil)
}

func TestValidate(t *testing.T) {
	const (
		kc    = "spec.destination.kubeconfig"
		token = "spec.storage.token"
	)
	tests := []struct {
		name   string
		mutate func(r *ClusterPairRequest)
		want   []expect
	}{
		// metadata
		{"name missing", func(r *ClusterPairRequest) { r.Metadata.Name = "" },
			[]expect{errorOn("metadata.name", "is required: it becomes the ClusterPair's name")}},
		{"name not DNS-1123", func(r *ClusterPairRequest) { r.Metadata.Name = "Dr_West" },
			[]expect{errorOn("metadata.name", `"Dr_West" is not a valid ClusterPair name: a lowercase RFC 1123 subdomain`)}},
		{"name too long", func(r *ClusterPairRequest) { r.Metadata.Name = strings.Repeat("a", 254) },
			[]expect{errorOn("metadata.name", "must be no more than 253 characters")}},
		{"name with dots is a valid subdomain", func(r *ClusterPairRequest) { r.Metadata.Name = "dr.west-1" }, nil},
		{"namespace missing", func(r *ClusterPairRequest) { r.Metadata.Namespace = "" },
			[]expect{errorOn("metadata.namespace", "is required: a ClusterPair is namespaced")}},
		{"namespace with a dot", func(r *ClusterPairRequest) { r.Metadata.Namespace = "app.prod" },
			[]expect{errorOn("metadata.namespace", `"app.prod" is not a valid namespace: must not contain dots`)}},
		{"namespace uppercase", func(r *ClusterPairRequest) { r.Metadata.Namespace = "App" },
			[]expect{errorOn("metadata.namespace", `"App" is not a valid namespace`)}},
		{"namespace too long", func(r *ClusterPairRequest) { r.Metadata.Namespace = strings.Repeat("a", 64) },
			[]expect{errorOn("metadata.namespace", "must be no more than 63 characters")}},

		// secret references (kubeconfig)
		{"kubeconfig file missing", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "" },
			[]expect{errorOn(kc+".file", "is required: the path of a SOPS-encrypted file, relative to the request")}},
		{"absolute path", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "/etc/kubeconfig" },
			[]expect{errorOn(kc+".file", `"/etc/kubeconfig" must be relative to the directory of the request, not absolute`)}},
		{"parent directory", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "../kubeconfig.yaml" },
			[]expect{errorOn(kc+".file", `"../kubeconfig.yaml" escapes the directory of the request`)}},
		{"parent directory after cleaning", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "secrets/../../kc.yaml" },
			[]expect{errorOn(kc+".file", "escapes the directory of the request")}},
		{"dot-dot alone", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = ".." },
			[]expect{errorOn(kc+".file", "escapes the directory of the request")}},
		{"dot-dot inside that stays under the directory", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "a/../kc.yaml" }, nil},
		{"dot-slash prefix", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "./secrets/kc.yaml" }, nil},
		{"directory", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "." },
			[]expect{errorOn(kc+".file", `"." names a directory, not a file`)}},
		{"directory after cleaning", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "secrets/.." },
			[]expect{errorOn(kc+".file", "names a directory, not a file")}},
		{"NUL byte", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = "kc\x00.yaml" },
			[]expect{errorOn(kc+".file", "contains a NUL byte")}},
		{"backslash", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = `secrets\kc.yaml` },
			[]expect{errorOn(kc+".file", "must use forward slashes")}},
		{"windows absolute path", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.File = `C:\kc.yaml` },
			[]expect{errorOn(kc+".file", "must use forward slashes")}},
		{"bad format", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Format = "yml" },
			[]expect{errorOn(kc+".format", `"yml" is not supported: use one of yaml, json, dotenv, ini, binary`)}},
		{"format is case-sensitive", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Format = "YAML" },
			[]expect{errorOn(kc+".format", `"YAML" is not supported`)}},
		{"format env is dotenv", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Format = "env" },
			[]expect{errorOn(kc+".format", `"env" is not supported`)}},
		{"key with an empty segment", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Key = "clusters..west" },
			[]expect{errorOn(kc+".key", `"clusters..west" has an empty segment`)}},
		{"key with a leading dot", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Key = ".west" },
			[]expect{errorOn(kc+".key", `".west" has an empty segment`)}},
		{"key with a trailing dot", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Key = "west." },
			[]expect{errorOn(kc+".key", `"west." has an empty segment`)}},
		{"key with a list index", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Key = "clusters.0.kubeconfig" }, nil},
		{"kubeconfig allowUnencrypted", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.AllowUnencrypted = true },
			[]expect{warnOn(kc+".allowUnencrypted", `is true: a plaintext "kubeconfig.yaml" is accepted; never use this for a real credential`)}},

		// kubeconfig server
		{"server https", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "https://10.1.2.3:6443" }, nil},
		{"server http with path", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "http://dest.example.com/k8s" }, nil},
		{"server IPv6", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "https://[fd00::1]:6443" }, nil},
		{"server without scheme", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "dest.example.com" },
			[]expect{errorOn(kc+".server", `"dest.example.com" must be an https:// URL`)}},
		{"server host:port", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "10.1.2.3:6443" },
			[]expect{errorOn(kc+".server", `"10.1.2.3:6443" is not a URL`)}},
		{"server unparsable", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "https://dest example" },
			[]expect{errorOn(kc+".server", "is not a URL")}},
		{"server other scheme", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "tcp://10.1.2.3:6443" },
			[]expect{errorOn(kc+".server", "must be an https:// URL (like a kubeconfig cluster server)")}},
		{"server without host", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "https://" },
			[]expect{errorOn(kc+".server", `"https://" has no host`)}},
		{"server with port only", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "https://:6443" },
			[]expect{errorOn(kc+".server", "has no host")}},
		{"server with credentials", func(r *ClusterPairRequest) {
			r.Spec.Destination.Kubeconfig.Server = "https://admin:pw@dest.example.com"
		}, []expect{errorOn(kc+".server", "must not carry credentials")}},
		{"server with query", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "https://dest.example.com?x=1" },
			[]expect{errorOn(kc+".server", "must not have a query or fragment")}},
		{"server with fragment", func(r *ClusterPairRequest) { r.Spec.Destination.Kubeconfig.Server = "https://dest.example.com#x" },
			[]expect{errorOn(kc+".server", "must not have a query or fragment")}},

		// storage ip
		{"ip missing", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "" },
			[]expect{errorOn("spec.storage.ip", "is required: the destination's Portworx API host")}},
		{"ip IPv4", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "10.0.0.5" }, nil},
		{"ip IPv6", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "fd00::5" }, nil},
		{"ip IPv6 in brackets", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "[fd00::5]" }, nil},
		{"ip DNS name", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "px-api.portworx.svc.cluster.local" }, nil},
		{"ip single label", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "portworx-api" }, nil},
		{"ip http scheme", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "http://10.0.0.5" }, nil},
		{"ip https scheme and DNS name", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "https://px.example.com" }, nil},
		{"ip https scheme and IPv6", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "https://[fd00::5]" }, nil},
		{"ip other scheme", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "grpc://px.example.com" },
			[]expect{errorOn("spec.storage.ip", `"grpc://px.example.com" has an unsupported scheme (only http:// and https:// are accepted)`)}},
		{"ip scheme is case-sensitive", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "HTTPS://px.example.com" },
			[]expect{errorOn("spec.storage.ip", "has an unsupported scheme")}},
		{"ip with path", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "https://px.example.com/v1" },
			[]expect{errorOn("spec.storage.ip", "must be a host only (no path, query or credentials)")}},
		{"ip with trailing slash", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "px.example.com/" },
			[]expect{errorOn("spec.storage.ip", "must be a host only")}},
		{"ip with query", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "px.example.com?a=b" },
			[]expect{errorOn("spec.storage.ip", "must be a host only")}},
		{"ip with credentials", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "https://admin@px.example.com" },
			[]expect{errorOn("spec.storage.ip", "must be a host only")}},
		{"ip IPv4 with port", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "10.0.0.5:9001" },
			[]expect{errorOn("spec.storage.ip", `"10.0.0.5:9001" must not include a port: set spec.storage.port: 9001 and ip: 10.0.0.5`)}},
		{"ip DNS name with port", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "px.example.com:17001" },
			[]expect{errorOn("spec.storage.ip", "must not include a port: set spec.storage.port: 17001 and ip: px.example.com")}},
		{"ip IPv6 with port", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "[fd00::5]:9001" },
			[]expect{errorOn("spec.storage.ip", "must not include a port: set spec.storage.port: 9001 and ip: fd00::5")}},
		{"ip scheme with port", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "https://px.example.com:9021" },
			[]expect{errorOn("spec.storage.ip", "must not include a port: set spec.storage.port: 9021")}},
		{"ip with underscore", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "px_api.example.com" },
			[]expect{errorOn("spec.storage.ip", `"px_api.example.com" is neither an IP address nor a valid DNS name`)}},
		{"ip with space", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "px api" },
			[]expect{errorOn("spec.storage.ip", "is neither an IP address nor a valid DNS name")}},
		{"ip uppercase (DNS is case-insensitive)", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "PX.example.com" }, nil},
		{"ip numeric but not an address", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "10.0.0.256" },
			[]expect{errorOn("spec.storage.ip", `"10.0.0.256" is not a valid IP address`)}},
		{"ip brackets around a name", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "[px]" },
			[]expect{errorOn("spec.storage.ip", "brackets may only enclose an IPv6 address")}},
		{"ip port hint keeps the scheme", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "https://px:9021" },
			[]expect{errorOn("spec.storage.ip", "set spec.storage.port: 9021 and ip: https://px")}},
		{"ip leading hyphen", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "-px.example.com" },
			[]expect{errorOn("spec.storage.ip", "is neither an IP address nor a valid DNS name")}},
		{"ip scheme only", func(r *ClusterPairRequest) { r.Spec.Storage.IP = "https://" },
			[]expect{errorOn("spec.storage.ip", "is neither an IP address nor a valid DNS name")}},

		// storage port (Validate sees the value after Default)
		{"port 0", func(r *ClusterPairRequest) { r.Spec.Storage.Port = 0 },
			[]expect{errorOn("spec.storage.port", "0 is out of range 1-65535")}},
		{"port negative", func(r *ClusterPairRequest) { r.Spec.Storage.Port = -1 },
			[]expect{errorOn("spec.storage.port", "-1 is out of range 1-65535")}},
		{"port too high", func(r *ClusterPairRequest) { r.Spec.Storage.Port = 65536 },
			[]expect{errorOn("spec.storage.port", "65536 is out of range 1-65535")}},
		{"port 1", func(r *ClusterPairRequest) { r.Spec.Storage.Port = 1 }, nil},
		{"port 65535", func(r *ClusterPairRequest) { r.Spec.Storage.Port = 65535 }, nil},

		// storage token: the same secret reference rules, under its own path
		{"token file missing", func(r *ClusterPairRequest) { r.Spec.Storage.Token.File = "" },
			[]expect{errorOn(token+".file", "is required")}},
		{"token file escapes", func(r *ClusterPairRequest) { r.Spec.Storage.Token.File = "../../px.env" },
			[]expect{errorOn(token+".file", "escapes the directory of the request")}},
		{"token bad format", func(r *ClusterPairRequest) { r.Spec.Storage.Token.Format = "toml" },
			[]expect{errorOn(token+".format", `"toml" is not supported`)}},
		{"token key empty segment", func(r *ClusterPairRequest) { r.Spec.Storage.Token.Key = "portworx..token" },
			[]expect{errorOn(token+".key", "has an empty segment")}},
		{"token dotenv key", func(r *ClusterPairRequest) {
			r.Spec.Storage.Token = SecretRef{File: "px.env", Key: "PX_TOKEN", Format: "dotenv"}
		}, nil},
		{"token allowUnencrypted", func(r *ClusterPairRequest) {
			r.Spec.Storage.Token = SecretRef{File: "token.txt", AllowUnencrypted: true}
		}, []expect{warnOn(token+".allowUnencrypted", `a plaintext "token.txt" is accepted`)}},

		// mode
		{"async-dr with storage", func(r *ClusterPairRequest) { r.Spec.Mode = ModeAsyncDR }, nil},
		{"migration with storage", func(r *ClusterPairRequest) { r.Spec.Mode = ModeMigration }, nil},
		{"async-dr without storage", func(r *ClusterPairRequest) { r.Spec.Storage = nil },
			[]expect{errorOn("spec.mode", "async-dr pairs two Portworx clusters: spec.storage (ip, port, token) is required")}},
		{"migration without storage", func(r *ClusterPairRequest) { r.Spec.Mode, r.Spec.Storage = ModeMigration, nil },
			[]expect{errorOn("spec.mode", "migration pairs two Portworx clusters: spec.storage (ip, port, token) is required")}},
		{"sync-dr without storage", func(r *ClusterPairRequest) { r.Spec.Mode, r.Spec.Storage = ModeSyncDR, nil }, nil},
		{"sync-dr with storage", func(r *ClusterPairRequest) { r.Spec.Mode = ModeSyncDR },
			[]expect{errorOn("spec.storage", "must be omitted with mode sync-dr")}},
		{"no mode without storage", func(r *ClusterPairRequest) { r.Spec.Mode, r.Spec.Storage = "", nil }, nil},
		{"no mode with storage", func(r *ClusterPairRequest) { r.Spec.Mode = "" },
			[]expect{warnOn("spec.mode", "is not set although spec.storage is: Stork pairs storage in its Default mode")}},
		{"unknown mode", func(r *ClusterPairRequest) { r.Spec.Mode = "async" },
			[]expect{errorOn("spec.mode", `"async" is not supported: use one of async-dr, migration, sync-dr`)}},
		{"mode is case-sensitive", func(r *ClusterPairRequest) { r.Spec.Mode = "Async-DR" },
			[]expect{errorOn("spec.mode", `"Async-DR" is not supported`)}},
		{"Stork's own mode name is not accepted", func(r *ClusterPairRequest) { r.Spec.Mode = "DisasterRecovery" },
			[]expect{errorOn("spec.mode", "Stork would silently fall back to its Default mode")}},
		{"unknown mode without storage", func(r *ClusterPairRequest) { r.Spec.Mode, r.Spec.Storage = "metro", nil },
			[]expect{errorOn("spec.mode", `"metro" is not supported`)}},

		// rancher
		{"rancher map", func(r *ClusterPairRequest) {
			r.Spec.Rancher = &Rancher{ProjectMappings: NewProjectMappings(map[string]string{"c-1:p-a": "c-2:p-b"})}
		}, nil},
		{"rancher string", func(r *ClusterPairRequest) {
			r.Spec.Rancher = &Rancher{ProjectMappings: ParseProjectMappings("p-a=p-b,c-1:p-a=c-2:p-b")}
		}, nil},
		{"rancher without mappings", func(r *ClusterPairRequest) { r.Spec.Rancher = &Rancher{} },
			[]expect{errorOn("spec.rancher.projectMappings", "is empty: give at least one source=destination project mapping, or remove spec.rancher")}},
		{"rancher empty map", func(r *ClusterPairRequest) {
			r.Spec.Rancher = &Rancher{ProjectMappings: NewProjectMappings(map[string]string{})}
		}, []expect{errorOn("spec.rancher.projectMappings", "is empty")}},
		{"rancher empty string", func(r *ClusterPairRequest) {
			r.Spec.Rancher = &Rancher{ProjectMappings: ParseProjectMappings("")}
		}, []expect{errorOn("spec.rancher.projectMappings", "the string is empty")}},
		{"rancher one finding per problem", func(r *ClusterPairRequest) {
			r.Spec.Rancher = &Rancher{ProjectMappings: ParseProjectMappings("p-a=p-b, p-c=p-d,")}
		}, []expect{
			errorOn("spec.rancher.projectMappings", `element 2 key " p-c": must not contain whitespace`),
			errorOn("spec.rancher.projectMappings", "element 3 is empty (stray comma?)"),
		}},
		{"rancher derived conflict", func(r *ClusterPairRequest) {
			r.Spec.Rancher = &Rancher{ProjectMappings: NewProjectMappings(map[string]string{"p-a": "p-x", "c-1:p-a": "c-2:p-b"})}
		}, []expect{errorOn("spec.rancher.projectMappings", `"c-1:p-a" maps to "c-2:p-b" but "p-a" maps to "p-x"`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.mutate(r)
			checkFindings(t, r.Validate(), tt.want)
		})
	}
}

// Validate reports every problem of a request, not just the first.
func TestValidateReportsEverything(t *testing.T) {
	r := &ClusterPairRequest{
		Spec: ClusterPairRequestSpec{
			Mode: ModeSyncDR,
			Destination: Destination{Kubeconfig: KubeconfigSource{
				SecretRef: SecretRef{File: "/abs", Format: "xml", Key: "a..b", AllowUnencrypted: true},
				Server:    "ftp://x",
			}},
			Storage: &Storage{IP: "10.0.0.1:9001", Port: 0, Token: SecretRef{}},
			Rancher: &Rancher{},
		},
	}
	checkFindings(t, r.Validate(), []expect{
		errorOn("metadata.name", "is required"),
		errorOn("metadata.namespace", "is required"),
		errorOn("spec.destination.kubeconfig.file", "not absolute"),
		errorOn("spec.destination.kubeconfig.format", `"xml" is not supported`),
		errorOn("spec.destination.kubeconfig.key", "empty segment"),
		warnOn("spec.destination.kubeconfig.allowUnencrypted", "is true"),
		errorOn("spec.destination.kubeconfig.server", "must be an https:// URL"),
		errorOn("spec.storage.ip", "must not include a port"),
		errorOn("spec.storage.port", "out of range"),
		errorOn("spec.storage.token.file", "is required"),
		errorOn("spec.storage", "must be omitted with mode sync-dr"),
		errorOn("spec.rancher.projectMappings", "is empty"),
	})
}

func TestCheckRelativePath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"kc.yaml", ""},
		{"a/b/c.enc", ""},
		{"a//b", ""},
		{"a/./b", ""},
		{"...", ""}, // a file named "..." is fine
		{"..kc", ""},
		{"", "names a directory, not a file"},
		{"./", "names a directory, not a file"},
		{"../", "escapes the directory of the request"},
		{"a/../../b", "escapes the directory of the request"},
		{"/a", "must be relative to the directory of the request, not absolute"},
		{"//a", "must be relative to the directory of the request, not absolute"},
		{`a\b`, "must use forward slashes"},
		{"a\x00b", "contains a NUL byte"},
	} {
		if got := CheckRelativePath(tt.in); got != tt.want {
			t.Errorf("CheckRelativePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A decoded, defaulted request flows through Validate as the function runs it.
func TestDecodeDefaultValidate(t *testing.T) {
	req, fs, err := Decode([]byte(validRequestYAML))
	if err != nil || len(fs) != 0 {
		t.Fatalf("Decode: %v %v", err, fs)
	}
	req.Default()
	checkFindings(t, req.Validate(), []expect{
		warnOn("spec.storage.token.allowUnencrypted", `a plaintext "px.env" is accepted`),
	})
}

// TestServerOverrideErrorsShowNoCredentials: a server override that carries
// a password, a query or a fragment is refused naming scheme, host and port
// only (diag.QuoteURL).
func TestServerOverrideErrorsShowNoCredentials(t *testing.T) {
	for _, server := range []string{
		"https://admin:SECRETPW@dest.example.com",
		"https://dest.example.com/?access_token=SECRETQ",
		"https://dest.example.com#SECRETF",
		"dest.example.com?access_token=SECRETQ",
	} {
		r := validRequest()
		r.Spec.Destination.Kubeconfig.Server = server
		fs := r.Validate()
		if !fs.HasErrors() {
			t.Errorf("server %q accepted", server)
		}
		for _, f := range fs {
			if strings.Contains(f.Error(), "SECRET") {
				t.Errorf("server %q: finding reveals it: %s", server, f.Error())
			}
		}
	}
}
