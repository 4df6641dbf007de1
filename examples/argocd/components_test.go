package argocd_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// buildInstall builds an overlay of testdata/argocd/install.yaml (a
// stand-in for Argo CD's install manifests) with the given Components of
// examples/argocd, as a user's Argo CD kustomization would, and returns the
// repo-server Deployment and argocd-cm.
func buildInstall(t *testing.T, components ...string) (*appsv1.Deployment, *corev1.ConfigMap) {
	t.Helper()
	kustomize := testenv.Tool(t, "kustomize")
	root := t.TempDir()
	for _, c := range components {
		testenv.CopyDir(t, example(c), filepath.Join(root, c))
	}
	overlay := filepath.Join(root, "install")
	testenv.CopyDir(t, testenv.Path("testdata", "argocd"), overlay)
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\nresources:\n  - install.yaml\ncomponents:\n"
	for _, c := range components {
		k += "  - ../" + c + "\n"
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(overlay, testenv.IsolatedEnv(t.TempDir()), kustomize, "build", overlay)
	if r.err != nil {
		t.Fatalf("kustomize build: %v\n%s", r.err, r.stderr)
	}
	var dep *appsv1.Deployment
	var cm *corev1.ConfigMap
	for _, doc := range strings.Split(r.stdout, "\n---\n") {
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		var probe struct{ Kind string }
		if err := yaml.Unmarshal(js, &probe); err != nil {
			t.Fatal(err)
		}
		// Strict: a field the Kubernetes types do not know is a typo.
		var into any
		switch probe.Kind {
		case "Deployment":
			dep = &appsv1.Deployment{}
			into = dep
		case "ConfigMap":
			cm = &corev1.ConfigMap{}
			into = cm
		default:
			t.Fatalf("unexpected %s in the build", probe.Kind)
		}
		if strictErrs, err := sjson.UnmarshalStrict(js, into); err != nil || len(strictErrs) > 0 {
			t.Fatalf("%s: %v %v", probe.Kind, err, strictErrs)
		}
	}
	if dep == nil || cm == nil {
		t.Fatalf("the build lacks the repo-server Deployment or argocd-cm:\n%s", r.stdout)
	}
	return dep, cm
}

func container(pod *corev1.PodSpec, name string) *corev1.Container {
	for i := range pod.Containers {
		if pod.Containers[i].Name == name {
			return &pod.Containers[i]
		}
	}
	return nil
}

func volume(pod *corev1.PodSpec, name string) *corev1.Volume {
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == name {
			return &pod.Volumes[i]
		}
	}
	return nil
}

func mountAt(c *corev1.Container, path string) *corev1.VolumeMount {
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].MountPath == path {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// checkMounts: every mount of every container names a volume of the pod.
func checkMounts(t *testing.T, pod *corev1.PodSpec) {
	t.Helper()
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		for _, m := range c.VolumeMounts {
			if volume(pod, m.Name) == nil {
				t.Errorf("container %s mounts the missing volume %s", c.Name, m.Name)
			}
		}
	}
}

// checkKeyFile: SOPS_AGE_KEY_FILE names a file of a read-only Secret volume
// the UID 999 can read.
func checkKeyFile(t *testing.T, pod *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	keyFile := envValue(c, "SOPS_AGE_KEY_FILE")
	if keyFile == "" {
		t.Fatalf("container %s has no SOPS_AGE_KEY_FILE", c.Name)
	}
	m := mountAt(c, filepath.Dir(keyFile))
	if m == nil || !m.ReadOnly {
		t.Fatalf("SOPS_AGE_KEY_FILE=%s is not in a read-only mount of %s", keyFile, c.Name)
	}
	v := volume(pod, m.Name)
	if v == nil || v.Secret == nil {
		t.Fatalf("the key volume %s is not a Secret", m.Name)
	}
	found := false
	for _, item := range v.Secret.Items {
		found = found || item.Path == filepath.Base(keyFile)
	}
	if !found {
		t.Errorf("the Secret volume does not project %s", filepath.Base(keyFile))
	}
	if v.Secret.DefaultMode == nil || *v.Secret.DefaultMode&0o004 == 0 {
		t.Errorf("the key file is not readable by UID 999 (files of a Secret volume belong to root): defaultMode %v", v.Secret.DefaultMode)
	}
}

// TestPluginSidecarComponent checks the repo-server the cmp and health
// Components produce: Argo CD's containers untouched, and a sidecar that
// runs argocd-cmp-server from the shared var-files volume as UID 999 with
// its own /tmp, the plugins socket directory and the age key.
func TestPluginSidecarComponent(t *testing.T) {
	dep, cm := buildInstall(t, "cmp", "health")
	pod := &dep.Spec.Template.Spec
	checkMounts(t, pod)
	repo := container(pod, "argocd-repo-server")
	if repo == nil || repo.Image != "quay.io/argoproj/argocd:latest" || len(repo.VolumeMounts) != 4 || len(repo.Env) != 1 {
		t.Fatalf("the repo-server container changed: %+v", repo)
	}
	side := container(pod, "clusterpair-fn")
	if side == nil || len(pod.Containers) != 2 {
		t.Fatalf("want the repo-server and the clusterpair-fn sidecar, got %d containers", len(pod.Containers))
	}
	if a := dep.Spec.Template.Annotations["kubectl.kubernetes.io/default-container"]; a != "argocd-repo-server" {
		t.Errorf("default-container annotation = %q, want argocd-repo-server", a)
	}
	mk, err := os.ReadFile(testenv.Path("mk", "argocd.mk"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^ARGOCD_CMP_IMAGE \?= (\S+)$`).FindSubmatch(mk); m == nil || side.Image != string(m[1]) {
		t.Errorf("sidecar image %s is not the image `make image-argocd-cmp` builds", side.Image)
	}
	if strings.Join(side.Command, " ") != "/var/run/argocd/argocd-cmp-server" || len(side.Args) != 0 {
		t.Errorf("sidecar command %v %v, want /var/run/argocd/argocd-cmp-server", side.Command, side.Args)
	}
	sc := side.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 999 || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("sidecar securityContext %+v: want UID 999, non-root, read-only root, no privilege escalation", sc)
	}
	for path, vol := range map[string]string{"/var/run/argocd": "var-files", "/home/argocd/cmp-server/plugins": "plugins"} {
		if m := mountAt(side, path); m == nil || m.Name != vol {
			t.Errorf("sidecar lacks %s from the volume %s", path, vol)
		}
	}
	if m := mountAt(side, "/home/argocd/cmp-server/config/plugin.yaml"); m != nil {
		t.Errorf("plugin.yaml is baked into the image; the mount %s would hide it", m.Name)
	}
	tmp, repoTmp := mountAt(side, "/tmp"), mountAt(repo, "/tmp")
	if tmp == nil || repoTmp == nil || tmp.Name == repoTmp.Name || volume(pod, tmp.Name).EmptyDir == nil {
		t.Errorf("the sidecar needs its own emptyDir on /tmp, not the repo-server's")
	}
	checkKeyFile(t, pod, side)

	script, err := os.ReadFile(example("resource_customizations", "stork.libopenstorage.org", "ClusterPair", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	if cm.Namespace != "argocd" || cm.Data["resource.customizations.health.stork.libopenstorage.org_ClusterPair"] != string(script) {
		t.Errorf("argocd-cm lacks the health check: %v", cm.Data)
	}
}

// TestTenantsComponent checks tenant mode layered on the sidecar: the
// tenant map from its own read-only Secret volume in
// CLUSTERPAIR_FN_TENANTS, and no shared key left (no SOPS_AGE_KEY_FILE,
// no age key volume), Argo CD's own containers untouched.
func TestTenantsComponent(t *testing.T) {
	dep, _ := buildInstall(t, "cmp", "tenants", "health")
	pod := &dep.Spec.Template.Spec
	checkMounts(t, pod)
	side := container(pod, "clusterpair-fn")
	if side == nil {
		t.Fatal("no sidecar")
	}
	if v := envValue(side, "SOPS_AGE_KEY_FILE"); v != "" {
		t.Errorf("the shared key is still set: SOPS_AGE_KEY_FILE=%s", v)
	}
	if volume(pod, "clusterpair-fn-age") != nil || mountAt(side, "/sops/age") != nil {
		t.Error("the shared age key volume is still mounted")
	}
	tenants := envValue(side, "CLUSTERPAIR_FN_TENANTS")
	m := mountAt(side, filepath.Dir(tenants))
	if tenants != "/tenants/tenants.yaml" || m == nil || !m.ReadOnly {
		t.Fatalf("CLUSTERPAIR_FN_TENANTS=%q, mount %+v", tenants, m)
	}
	v := volume(pod, m.Name)
	if v == nil || v.Secret == nil || v.Secret.SecretName != "clusterpair-fn-tenants" || v.Secret.DefaultMode == nil || *v.Secret.DefaultMode&0o004 == 0 {
		t.Errorf("the tenant map volume %+v: want the Secret clusterpair-fn-tenants, readable by UID 999", v)
	}
	if repo := container(pod, "argocd-repo-server"); repo == nil || envValue(repo, "CLUSTERPAIR_FN_TENANTS") != "" {
		t.Error("the repo-server itself must not get the tenant map")
	}
}
