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
