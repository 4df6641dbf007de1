package sopsfile_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// forbiddenPackages are the sops packages that link every cloud key service
// (through keyservice): importing any of them costs the start-up time this
// package exists to avoid.
var forbiddenPackages = []string{
	"github.com/getsops/sops/v3",
	"github.com/getsops/sops/v3/aes",
	"github.com/getsops/sops/v3/keyservice",
	"github.com/getsops/sops/v3/decrypt",
	"github.com/getsops/sops/v3/cmd/sops/common",
	"github.com/getsops/sops/v3/config",
	"github.com/getsops/sops/v3/kms",
	"github.com/getsops/sops/v3/gcpkms",
	"github.com/getsops/sops/v3/azkv",
	"github.com/getsops/sops/v3/hcvault",
	"github.com/getsops/sops/v3/hckms",
}

// forbiddenPrefixes are the modules of the cloud SDKs and gRPC.
var forbiddenPrefixes = []string{
	"github.com/getsops/sops/v3/stores",
	"github.com/aws/",
	"cloud.google.com/",
	"google.golang.org/api",
	"google.golang.org/grpc",
	"google.golang.org/genproto",
	"github.com/Azure/",
	"github.com/AzureAD/",
	"github.com/hashicorp/vault",
	"github.com/huaweicloud/",
	"go.opentelemetry.io/",
	"github.com/envoyproxy/",
	"github.com/cncf/xds",
}

// violations lists the forbidden packages among the dependencies of pkg.
func violations(t *testing.T, pkg string) []string {
	t.Helper()
	return violationsTags(t, pkg, "")
}

// violationsTags is violations for a build with the given tags.
func violationsTags(t *testing.T, pkg, tags string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command(goBin, append(args, pkg)...)
	cmd.Dir = testenv.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var bad []string
	for _, dep := range strings.Fields(string(out)) {
		forbidden := false
		for _, f := range forbiddenPackages {
			if dep == f {
				forbidden = true
			}
		}
		for _, p := range forbiddenPrefixes {
			if strings.HasPrefix(dep, p) {
				forbidden = true
			}
		}
		if forbidden {
			bad = append(bad, dep)
		}
	}
	return bad
}

// TestNoFullSOPSDependencies: this package, pkg/secrets (the interfaces
// and what both builds share), the lean implementation and the function's
// processor stay lean in every build, without any build tag: the full
// library comes only with package sopsfull, which only the full binary
// (and pkg/rekey, full-only) imports.
func TestNoFullSOPSDependencies(t *testing.T) {
	for _, pkg := range []string{"pkg/secrets/sopsfile", "pkg/secrets", "pkg/secrets/sopslean", "pkg/fn", "pkg/author", "pkg/check"} {
		if bad := violations(t, "github.com/clusterpair-fn/clusterpair-fn/"+pkg); len(bad) > 0 {
			t.Errorf("%s must stay lean, but it links:\n  %s", pkg, strings.Join(bad, "\n  "))
		}
	}
}

// TestFullImplementationIsTheFullLibrary proves the check above can fail
// for this repository's own packages: sopsfull and the full binary link
// the full sops library and the cloud SDKs.
func TestFullImplementationIsTheFullLibrary(t *testing.T) {
	for _, pkg := range []string{"pkg/secrets/sopsfull", "cmd/clusterpair-fn"} {
		if bad := violations(t, "github.com/clusterpair-fn/clusterpair-fn/"+pkg); len(bad) == 0 {
			t.Errorf("%s links no full sops library: the dependency check or the edition wiring is broken", pkg)
		}
	}
}

// TestDependencyCheckCatchesTheFullLibrary proves the check above can fail:
// the sops decrypt package links everything it forbids.
func TestDependencyCheckCatchesTheFullLibrary(t *testing.T) {
	bad := violations(t, "github.com/getsops/sops/v3/decrypt")
	want := []string{"github.com/getsops/sops/v3", "github.com/getsops/sops/v3/keyservice", "github.com/aws/", "cloud.google.com/", "github.com/Azure/", "github.com/hashicorp/vault", "google.golang.org/grpc"}
	for _, w := range want {
		found := false
		for _, b := range bad {
			if b == w || (strings.HasSuffix(w, "/") && strings.HasPrefix(b, w)) || strings.HasPrefix(b, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("the dependency check does not flag %s in the sops decrypt package", w)
		}
	}
}

// TestLeanBinaryLinksNoCloudSDK checks the whole lean binary, not only this
// package: nothing it links may pull in the full sops library.
func TestLeanBinaryLinksNoCloudSDK(t *testing.T) {
	if v := violationsTags(t, "github.com/clusterpair-fn/clusterpair-fn/cmd/clusterpair-fn", "lean"); len(v) > 0 {
		t.Fatalf("the lean build links %d forbidden packages, e.g. %v", len(v), v[:min(len(v), 5)])
	}
}

// sopsLibraryViolations lists the packages of the full sops library (not
// the cloud SDKs) among the dependencies of pkg.
func sopsLibraryViolations(t *testing.T, pkg string) []string {
	t.Helper()
	var bad []string
	for _, dep := range violations(t, pkg) {
		for _, f := range forbiddenPackages {
			if dep == f || strings.HasPrefix(dep, "github.com/getsops/sops/v3/stores") {
				bad = append(bad, dep)
				break
			}
		}
	}
	return bad
}

// TestObjectStoreCheckIsFullOnly: check --live's object-store check
// (pkg/check/objectstore) links the AWS and Google storage clients, which
// only the full build may carry; it never brings the full sops library,
// and the lean binary never links it. A package that imports it (pkg/check,
// once live.go calls it) moves from TestNoFullSOPSDependencies' list to the
// list here: it may link the cloud clients, never the sops library.
func TestObjectStoreCheckIsFullOnly(t *testing.T) {
	const objectstore = "github.com/clusterpair-fn/clusterpair-fn/pkg/check/objectstore"
	bad := violations(t, objectstore)
	for _, want := range []string{"github.com/aws/aws-sdk-go-v2/service/s3", "cloud.google.com/go/storage"} {
		found := false
		for _, b := range bad {
			found = found || b == want
		}
		if !found {
			t.Errorf("%s does not link %s: the check or this test is broken", objectstore, want)
		}
	}
	for _, pkg := range []string{"pkg/check/objectstore", "pkg/portworx"} {
		if v := sopsLibraryViolations(t, "github.com/clusterpair-fn/clusterpair-fn/"+pkg); len(v) > 0 {
			t.Errorf("%s links the full sops library:\n  %s", pkg, strings.Join(v, "\n  "))
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "list", "-deps", "-tags", "lean", "github.com/clusterpair-fn/clusterpair-fn/cmd/clusterpair-fn")
	cmd.Dir = testenv.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == objectstore || dep == "github.com/aws/aws-sdk-go-v2/service/s3" || dep == "cloud.google.com/go/storage" {
			t.Errorf("the lean build links %s", dep)
		}
	}
}

// TestPortworxClientStaysLean: pkg/portworx (used by new) is client-go and
// the standard library only.
func TestPortworxClientStaysLean(t *testing.T) {
	if bad := violations(t, "github.com/clusterpair-fn/clusterpair-fn/pkg/portworx"); len(bad) > 0 {
		t.Errorf("pkg/portworx links:\n  %s", strings.Join(bad, "\n  "))
	}
}
