package e2e

import (
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestBidirectionalExample renders examples/bidirectional for each side with
// the real kustomize and compares it with the committed expectations.
func TestBidirectionalExample(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	testenv.Tool(t, "clusterpair-fn")
	dir := copyExample(t, "bidirectional")
	outputs := map[string]string{}
	for _, side := range []string{"source", "destination"} {
		r := runTool(t, dir, append(demoKeyEnv(), "CLUSTERPAIR_SIDE="+side), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
		if r.err != nil {
			t.Fatalf("%s: %v\n%s", side, r.err, r.stderr)
		}
		pairs := decodeClusterPairs(t, r.stdout)
		if len(pairs) != 1 || pairs[0].Spec.Options["backuplocation"] != "west-east" {
			t.Fatalf("%s: want one pair using BackupLocation west-east:\n%s", side, r.stdout)
		}
		for _, kind := range []string{"kind: Secret\n", "kind: BackupLocation\n"} {
			if !strings.Contains(r.stdout, kind) {
				t.Errorf("%s side lacks %s", side, strings.TrimSpace(kind))
			}
		}
		outputs[side] = r.stdout
		testenv.CompareGolden(t, testenv.Path("testdata", "e2e", "bidirectional-"+side+".yaml"), r.stdout)
	}
	src, dst := decodeClusterPairs(t, outputs["source"])[0], decodeClusterPairs(t, outputs["destination"])[0]
	if src.Spec.Options["ip"] != "px-api.east.example.com" || dst.Spec.Options["ip"] != "px-api.west.example.com" {
		t.Errorf("each side must point at the other cluster's Portworx: %v / %v", src.Spec.Options["ip"], dst.Spec.Options["ip"])
	}
	fwd, rev := src.Spec.PlatformOptions.Rancher.ProjectMappings, dst.Spec.PlatformOptions.Rancher.ProjectMappings
	for k, v := range fwd {
		if rev[v] != k {
			t.Errorf("mapping %s=%s is not inverted on the destination side: %v", k, v, rev)
		}
	}
	r := runTool(t, dir, demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if r.err == nil || !strings.Contains(r.stderr, "CLUSTERPAIR_SIDE=source or CLUSTERPAIR_SIDE=destination") {
		t.Errorf("without a side the build must fail and say how to choose:\n%s", r.stderr)
	}
}
