package v1alpha1

import (
	"reflect"
	"testing"
)

func TestSide(t *testing.T) {
	storage := &Storage{IP: "px.dest"}
	revStorage := &Storage{IP: "px.src"}
	out := &Output{Plaintext: PlaintextAllow}
	revOut := &Output{Encrypt: &Encryption{ShamirThreshold: 2}}
	base := func() *ClusterPairRequest {
		r := &ClusterPairRequest{}
		r.Metadata.Name = "dr"
		r.Spec.Destination.Kubeconfig = KubeconfigSource{SecretRef: SecretRef{File: "dest.yaml"}}
		r.Spec.Storage = storage
		r.Spec.Output = out
		return r
	}
	oneWay := base()
	twoWay := base()
	twoWay.Spec.Reverse = &Reverse{Kubeconfig: KubeconfigSource{SecretRef: SecretRef{File: "src.yaml"}}, Storage: revStorage}
	named := base()
	named.Spec.Reverse = &Reverse{Name: "dr-back", Kubeconfig: KubeconfigSource{SecretRef: SecretRef{File: "src.yaml"}}, Output: revOut}

	forward := SideView{Side: SideSource, Name: "dr", Kubeconfig: oneWay.Spec.Destination.Kubeconfig, KubeconfigField: "spec.destination.kubeconfig", Storage: storage, StorageField: "spec.storage", Output: *out, OutputField: "spec.output"}
	cases := []struct {
		name string
		req  *ClusterPairRequest
		side Side
		want SideView
		ok   bool
	}{
		{"one-way source", oneWay, SideSource, forward, true},
		{"one-way destination does not exist", oneWay, SideDestination, SideView{}, false},
		{"unknown side", twoWay, Side("sideways"), SideView{}, false},
		{"two-way source is the forward pair", twoWay, SideSource, forward, true},
		{"two-way destination: reverse kubeconfig and storage, the forward output when the reverse has none", twoWay, SideDestination,
			SideView{Side: SideDestination, Name: "dr", Kubeconfig: twoWay.Spec.Reverse.Kubeconfig, KubeconfigField: "spec.reverse.kubeconfig", Storage: revStorage, StorageField: "spec.reverse.storage", Output: *out, OutputField: "spec.output"}, true},
		{"named reverse with its own output", named, SideDestination,
			SideView{Side: SideDestination, Name: "dr-back", Kubeconfig: named.Spec.Reverse.Kubeconfig, KubeconfigField: "spec.reverse.kubeconfig", StorageField: "spec.reverse.storage", Output: *revOut, OutputField: "spec.reverse.output"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.req.Side(tc.side)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Side(%q) = %+v, %v; want %+v, %v", tc.side, got, ok, tc.want, tc.ok)
			}
		})
	}
}
