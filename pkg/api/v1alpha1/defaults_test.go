package v1alpha1

import (
	"reflect"
	"testing"
)

func TestDefault(t *testing.T) {
	tests := []struct {
		name     string
		storage  *Storage
		wantPort int
	}{
		{"port omitted with storage", &Storage{IP: "px"}, DefaultPortworxPort},
		{"port given", &Storage{IP: "px", Port: 9020}, 9020},
		{"port out of range kept for Validate", &Storage{IP: "px", Port: -1}, -1},
		{"port above range kept for Validate", &Storage{IP: "px", Port: 70000}, 70000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &ClusterPairRequest{Spec: ClusterPairRequestSpec{Storage: tt.storage}}
			r.Default()
			if r.Spec.Storage.Port != tt.wantPort {
				t.Errorf("port = %d, want %d", r.Spec.Storage.Port, tt.wantPort)
			}
		})
	}
	if DefaultPortworxPort != 9001 {
		t.Errorf("DefaultPortworxPort = %d, want 9001 (Stork's own default)", DefaultPortworxPort)
	}
}

func TestDefaultWithoutStorage(t *testing.T) {
	r := &ClusterPairRequest{Spec: ClusterPairRequestSpec{Mode: ModeSyncDR}}
	r.Default()
	if r.Spec.Storage != nil {
		t.Errorf("Default created spec.storage: %+v", r.Spec.Storage)
	}
	if r.Spec.Mode != ModeSyncDR {
		t.Errorf("Default changed mode to %q", r.Spec.Mode)
	}
}

func TestDefaultIdempotent(t *testing.T) {
	for _, doc := range []string{
		header + "spec:\n  destination: {kubeconfig: {file: kc.yaml}}\n  storage: {ip: px, token: {file: t}}\n",
		header + "spec:\n  destination: {kubeconfig: {file: kc.yaml}}\n  storage: {ip: px, port: 1234, token: {file: t}}\n",
		header + "spec:\n  mode: sync-dr\n  destination: {kubeconfig: {file: kc.yaml}}\n",
	} {
		r, _, err := Decode([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		r.Default()
		once := *r
		if r.Spec.Storage != nil {
			s := *r.Spec.Storage
			once.Spec.Storage = &s
		}
		r.Default()
		if !reflect.DeepEqual(&once, r) {
			t.Errorf("second Default changed the request:\n%+v\n%+v", once, *r)
		}
		// Defaulting never leaves a finding on the port.
		for _, f := range r.Validate() {
			if f.Field == "spec.storage.port" {
				t.Errorf("after Default: %v", f)
			}
		}
	}
}

// The decoded port is the one written; Default does not override it.
func TestDefaultAfterDecode(t *testing.T) {
	r, _, err := Decode([]byte(header + "spec:\n  storage: {ip: px, token: {file: t}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Spec.Storage.Port != 0 {
		t.Fatalf("decoded port = %d, want 0 before Default", r.Spec.Storage.Port)
	}
	r.Default()
	if r.Spec.Storage.Port != 9001 {
		t.Errorf("port = %d, want 9001", r.Spec.Storage.Port)
	}
}

func TestDefaultObjectStore(t *testing.T) {
	tests := []struct {
		name string
		in   *ObjectStore
		want *ObjectStore
	}{
		{"s3 endpoint and region", &ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{}},
			&ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{Endpoint: "s3.amazonaws.com", Region: "us-east-1"}}},
		{"s3 endpoint and region given", &ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{Endpoint: "minio:9000", Region: "eu-west-1"}},
			&ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{Endpoint: "minio:9000", Region: "eu-west-1"}}},
		{"s3 region only given", &ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{Region: "eu-west-1"}},
			&ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{Endpoint: "s3.amazonaws.com", Region: "eu-west-1"}}},
		{"s3 endpoint only given", &ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{Endpoint: "minio:9000"}},
			&ObjectStore{Provider: ProviderS3, S3: &S3ObjectStore{Endpoint: "minio:9000", Region: "us-east-1"}}},
		{"nfs timeout", &ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{Server: "nfs"}},
			&ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{Server: "nfs", TimeoutSeconds: 5}}},
		{"nfs timeout given", &ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{TimeoutSeconds: 30}},
			&ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{TimeoutSeconds: 30}}},
		{"nfs timeout out of range kept for Validate", &ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{TimeoutSeconds: -1}},
			&ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{TimeoutSeconds: -1}}},
		{"no settings block is created", &ObjectStore{Provider: ProviderS3},
			&ObjectStore{Provider: ProviderS3}},
		{"azure and google have no defaults", &ObjectStore{Provider: ProviderAzure, Azure: &AzureObjectStore{}, Google: &GoogleObjectStore{}},
			&ObjectStore{Provider: ProviderAzure, Azure: &AzureObjectStore{}, Google: &GoogleObjectStore{}}},
		{"name is not defaulted (the pair's name is used at render time)", &ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{TimeoutSeconds: 5}},
			&ObjectStore{Provider: ProviderNFS, NFS: &NFSObjectStore{TimeoutSeconds: 5}}},
		{"existing is left alone", &ObjectStore{Existing: "shared-s3"}, &ObjectStore{Existing: "shared-s3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &ClusterPairRequest{Spec: ClusterPairRequestSpec{ObjectStore: tt.in}}
			r.Default()
			if !reflect.DeepEqual(r.Spec.ObjectStore, tt.want) {
				t.Errorf("objectStore = %+v\nwant %+v", *r.Spec.ObjectStore, *tt.want)
			}
		})
	}
	if DefaultS3Endpoint != "s3.amazonaws.com" || DefaultS3Region != "us-east-1" {
		t.Errorf("S3 defaults %q %q differ from Stork's BackupLocation defaults", DefaultS3Endpoint, DefaultS3Region)
	}
	if DefaultNFSTimeoutSeconds != 5 {
		t.Errorf("DefaultNFSTimeoutSeconds = %d, want 5 (storkctl's default)", DefaultNFSTimeoutSeconds)
	}
}

func TestDefaultReverse(t *testing.T) {
	r := &ClusterPairRequest{Spec: ClusterPairRequestSpec{
		Storage: &Storage{IP: "px-west"},
		Reverse: &Reverse{Storage: &Storage{IP: "px-east"}},
	}}
	r.Default()
	if r.Spec.Storage.Port != DefaultPortworxPort || r.Spec.Reverse.Storage.Port != DefaultPortworxPort {
		t.Errorf("ports = %d, %d; want %d on both sides", r.Spec.Storage.Port, r.Spec.Reverse.Storage.Port, DefaultPortworxPort)
	}
	if r.Spec.Reverse.Name != "" || r.Spec.Reverse.Output != nil || r.Spec.Output != nil {
		t.Errorf("Default filled in reverse name or output: %+v %+v", r.Spec.Reverse, r.Spec.Output)
	}

	r = &ClusterPairRequest{Spec: ClusterPairRequestSpec{Reverse: &Reverse{Storage: &Storage{Port: 9021}}}}
	r.Default()
	if r.Spec.Reverse.Storage.Port != 9021 {
		t.Errorf("reverse port = %d, want the given 9021", r.Spec.Reverse.Storage.Port)
	}

	r = &ClusterPairRequest{Spec: ClusterPairRequestSpec{Mode: ModeSyncDR, Reverse: &Reverse{}}}
	r.Default()
	if r.Spec.Reverse.Storage != nil || r.Spec.Storage != nil {
		t.Errorf("Default created a storage block: %+v %+v", r.Spec.Storage, r.Spec.Reverse.Storage)
	}
}

// Default is idempotent on the new fields too: compared by decoding the same
// document twice and defaulting one copy once, the other twice.
func TestDefaultIdempotentNewFields(t *testing.T) {
	doc := header + `spec:
  mode: async-dr
  destination: {kubeconfig: {file: kc.yaml}}
  storage: {ip: px, token: {file: t}}
  objectStore:
    provider: s3
    bucket: px-dr
    s3: {accessKeyID: {file: a}, secretAccessKey: {file: b}}
    nfs: {server: nfs}
  reverse:
    kubeconfig: {file: src.yaml}
    storage: {ip: px-src, token: {file: t2}}
  output:
    encrypt: {age: [` + ageRecipient + `]}
`
	once, _, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	twice, _, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	once.Default()
	twice.Default()
	twice.Default()
	if !reflect.DeepEqual(once, twice) {
		t.Errorf("a second Default changed the request:\n%+v\n%+v", once.Spec, twice.Spec)
	}
	if s3 := once.Spec.ObjectStore.S3; s3.Endpoint != DefaultS3Endpoint || s3.Region != DefaultS3Region {
		t.Errorf("s3 = %+v, want the defaults", *s3)
	}
	if once.Spec.ObjectStore.NFS.TimeoutSeconds != DefaultNFSTimeoutSeconds || once.Spec.Reverse.Storage.Port != DefaultPortworxPort {
		t.Errorf("nfs timeout %d, reverse port %d: not defaulted", once.Spec.ObjectStore.NFS.TimeoutSeconds, once.Spec.Reverse.Storage.Port)
	}
}
