package argocd_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// releaseTag is the version the install manifests pin.
const releaseTag = "v0.1.0"

// componentSidecar returns the sidecar container and the volumes of the
// cmp Component's patch, decoded strictly.
func componentSidecar(t *testing.T) (corev1.Container, []corev1.Volume) {
	t.Helper()
	var k struct {
		Patches []struct{ Patch string }
	}
	data, err := os.ReadFile(example("cmp", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &k); err != nil || len(k.Patches) != 1 {
		t.Fatalf("cmp/kustomization.yaml: %v (%d patches)", err, len(k.Patches))
	}
	var dep appsv1.Deployment
	strictYAML(t, "the cmp patch", []byte(k.Patches[0].Patch), &dep)
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("the cmp patch has %d containers", len(spec.Containers))
	}
	return spec.Containers[0], spec.Volumes
}

// strictYAML decodes YAML into v, failing on a field the type lacks.
func strictYAML(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if strictErrs, err := sjson.UnmarshalStrict(js, v); err != nil || len(strictErrs) > 0 {
		t.Fatalf("%s: %v %v", what, err, strictErrs)
	}
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestHelmValuesMatchTheComponent: the Helm values add the Component's
// sidecar (image pinned to the release) and volumes to the repo-server.
func TestHelmValuesMatchTheComponent(t *testing.T) {
	want, wantVols := componentSidecar(t)
	data, err := os.ReadFile(example("install", "helm-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		RepoServer struct {
			PodAnnotations  map[string]string  `json:"podAnnotations"`
			ExtraContainers []corev1.Container `json:"extraContainers"`
			Volumes         []corev1.Volume    `json:"volumes"`
		} `json:"repoServer"`
	}
	strictYAML(t, "helm-values.yaml", data, &values)
	rs := values.RepoServer
	if len(rs.ExtraContainers) != 1 {
		t.Fatalf("%d extraContainers, want the sidecar", len(rs.ExtraContainers))
	}
	got := rs.ExtraContainers[0]
	if got.Image != "registry.example.com/clusterpair-fn-argocd-cmp:"+releaseTag {
		t.Errorf("image %s is not pinned to %s", got.Image, releaseTag)
	}
	got.Image = want.Image
	if !sameJSON(got, want) {
		t.Errorf("the Helm sidecar differs from the Component's:\n%+v\n%+v", got, want)
	}
	if !reflect.DeepEqual(rs.Volumes, wantVols) {
		t.Errorf("the Helm volumes differ from the Component's: %+v", rs.Volumes)
	}
	if rs.PodAnnotations["kubectl.kubernetes.io/default-container"] != "repo-server" {
		t.Errorf("podAnnotations %v: keep kubectl on the chart's repo-server container", rs.PodAnnotations)
	}
}

// TestOpenShiftArgoCDMatchesTheComponent: the OpenShift GitOps ArgoCD
// resource (its CRD is not available offline: structure and Kubernetes
// types only) carries the Component's sidecar minus the fixed UID/GID.
func TestOpenShiftArgoCDMatchesTheComponent(t *testing.T) {
	want, wantVols := componentSidecar(t)
	want.SecurityContext.RunAsUser, want.SecurityContext.RunAsGroup = nil, nil
	data, err := os.ReadFile(example("install", "openshift-gitops-argocd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cr struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec struct {
			Repo struct {
				SidecarContainers []corev1.Container `json:"sidecarContainers"`
				Volumes           []corev1.Volume    `json:"volumes"`
			} `json:"repo"`
		} `json:"spec"`
	}
	strictYAML(t, "openshift-gitops-argocd.yaml", data, &cr)
	if cr.APIVersion != "argoproj.io/v1beta1" || cr.Kind != "ArgoCD" || cr.Metadata.Name == "" || cr.Metadata.Namespace == "" {
		t.Errorf("want a named, namespaced argoproj.io/v1beta1 ArgoCD, got %s %s %+v", cr.APIVersion, cr.Kind, cr.Metadata)
	}
	if len(cr.Spec.Repo.SidecarContainers) != 1 {
		t.Fatalf("%d sidecarContainers, want the sidecar", len(cr.Spec.Repo.SidecarContainers))
	}
	got := cr.Spec.Repo.SidecarContainers[0]
	if got.Image != "registry.example.com/clusterpair-fn-argocd-cmp:"+releaseTag {
		t.Errorf("image %s is not pinned to %s", got.Image, releaseTag)
	}
	got.Image = want.Image
	if !sameJSON(got, want) {
		t.Errorf("the OpenShift sidecar differs from the Component's (minus UID/GID):\n%+v\n%+v", got, want)
	}
	if !reflect.DeepEqual(cr.Spec.Repo.Volumes, wantVols) {
		t.Errorf("the OpenShift volumes differ from the Component's: %+v", cr.Spec.Repo.Volumes)
	}
}

// TestInstallKustomizationIsPinned: the install kustomization and the docs
// reference this repository at a tag, never a branch, and pin Argo CD.
func TestInstallKustomizationIsPinned(t *testing.T) {
	data, err := os.ReadFile(example("install", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources, Components []string
		Images                []struct{ Name, NewName, NewTag string }
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("install/kustomization.yaml: %v", err)
	}
	if len(k.Components) != 2 {
		t.Fatalf("components %v, want cmp and health", k.Components)
	}
	for _, c := range k.Components {
		if !strings.HasSuffix(c, "?ref="+releaseTag) {
			t.Errorf("component %s is not pinned to %s", c, releaseTag)
		}
	}
	if len(k.Resources) != 1 || !regexp.MustCompile(`/argo-cd/v\d+\.\d+\.\d+/manifests/install\.yaml$`).MatchString(k.Resources[0]) {
		t.Errorf("resources %v: want Argo CD's install.yaml at a version", k.Resources)
	}
	if len(k.Images) != 1 || k.Images[0].Name != "localhost/clusterpair-fn-argocd-cmp" || k.Images[0].NewTag != releaseTag {
		t.Errorf("images %+v: want the sidecar image at %s", k.Images, releaseTag)
	}
	for _, f := range []string{"docs/argocd.md", "docs/install.md", "README.md"} {
		doc, err := os.ReadFile(example("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(doc), "?ref=main") {
			t.Errorf("%s references a branch (?ref=main): pin a tag", f)
		}
	}
}

// TestArgoCDVersionIsTheProvenOne: every Argo CD version the install
// kustomization and the docs name is the one `make e2e-gitops` runs
// (ARGOCD_VERSION in mk/gitops.mk, the argo-cd module test/gitops/argocd
// requires), so that no example points at a version nothing here proved.
func TestArgoCDVersionIsTheProvenOne(t *testing.T) {
	read := func(rel ...string) string {
		t.Helper()
		data, err := os.ReadFile(testenv.Path(rel...))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	m := regexp.MustCompile(`(?m)^ARGOCD_VERSION\s*:=\s*(v\d+\.\d+\.\d+)\s*$`).FindStringSubmatch(read("mk", "gitops.mk"))
	if m == nil {
		t.Fatal("mk/gitops.mk sets no ARGOCD_VERSION")
	}
	proven := m[1]
	major := strings.SplitN(strings.TrimPrefix(proven, "v"), ".", 2)[0]
	req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/argoproj/argo-cd/v` + major + `\s+(v\S+)`).FindStringSubmatch(read("test", "gitops", "argocd", "go.mod"))
	if req == nil || req[1] != proven {
		t.Fatalf("test/gitops/argocd/go.mod requires argo-cd/v%s at %v, want %s (ARGOCD_VERSION)", major, req, proven)
	}
	named := regexp.MustCompile(`argo-cd/(v\d+\.\d+\.\d+)/manifests|argoproj/argocd:(v\d+\.\d+\.\d+)`)
	for _, f := range [][]string{
		{"examples", "argocd", "install", "kustomization.yaml"},
		{"examples", "argocd", "install", "helm-values.yaml"},
		{"examples", "argocd", "install", "openshift-gitops-argocd.yaml"},
		{"docs", "argocd.md"}, {"docs", "install.md"}, {"README.md"},
	} {
		for _, hit := range named.FindAllStringSubmatch(read(f...), -1) {
			if v := hit[1] + hit[2]; v != proven {
				t.Errorf("%s names Argo CD %s (%q); the suite proves %s", strings.Join(f, "/"), v, hit[0], proven)
			}
		}
	}
	if !strings.Contains(read("examples", "argocd", "install", "kustomization.yaml"), "argo-cd/"+proven+"/manifests/install.yaml") {
		t.Errorf("install/kustomization.yaml does not install Argo CD %s", proven)
	}
}
