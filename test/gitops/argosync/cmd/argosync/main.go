// Command argosync runs Argo CD's sync engine (gitops-engine, the code the
// Argo CD application controller syncs with) on a set of manifests, for the
// GitOps end-to-end suite (test/cluster, build tags cluster and gitops):
//
//	argosync version
//	argosync sync -kubeconfig F -manifests FILE [-server-side-apply] [-replace] [-app NAME]
//
// sync is one sync operation, as the application controller runs one
// (argo-cd v3.6.2 controller/sync.go): the target objects are the
// manifests (what the repo-server generated; with -app, each gets the
// tracking annotation Argo CD's default annotation tracking adds), the live
// objects are read from the cluster, sync.Reconcile pairs them, and
// sync.NewSyncContext (with the application controller's options for an
// Application whose syncOptions are the flags given: ServerSideApply=true,
// Replace=true) runs Sync until the operation completes. Resource
// sync-options annotations (Force=true, ServerSideApply=false, ...) act as
// in Argo CD, since gitops-engine reads them. It prints one line per
// resource result ("RESULT KIND NAMESPACE/NAME: MESSAGE") and the operation's
// phase and message on the last line, and exits 1 unless the operation
// succeeded. Retries (an Application's syncPolicy.retry) are new operations:
// run sync again.
//
// Not reproduced: the controller's Lua health overrides (a one-wave sync
// without hooks does not wait for health), RBAC/project checks, hooks
// beyond what gitops-engine does itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/sync"
	synccommon "github.com/argoproj/argo-cd/gitops-engine/v3/pkg/sync/common"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/kube"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/tracing"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// argoCDSSAManager is Argo CD's server-side apply field manager
// (argo-cd common.ArgoCDSSAManager).
const argoCDSSAManager = "argocd-controller"

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: argosync version|sync [flags]"))
	}
	var err error
	switch os.Args[1] {
	case "version":
		fmt.Println(versions())
		return
	case "sync":
		err = syncCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "argosync:", err)
	os.Exit(1)
}

func syncCmd(args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the destination cluster")
	manifests := fs.String("manifests", "", "the generated manifests (a YAML stream)")
	serverSide := fs.Bool("server-side-apply", false, "the Application's syncOptions has ServerSideApply=true")
	replace := fs.Bool("replace", false, "the Application's syncOptions has Replace=true")
	app := fs.String("app", "", "Application name: add the annotation-tracking id to each target")
	namespace := fs.String("namespace", "", "the Application's destination namespace")
	verbose := fs.Bool("v", false, "log gitops-engine's messages on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kubeconfig == "" || *manifests == "" {
		return errors.New("-kubeconfig and -manifests are required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", *kubeconfig, err)
	}
	targets, err := readManifests(*manifests)
	if err != nil {
		return err
	}
	mapper, err := newMapper(cfg)
	if err != nil {
		return err
	}
	if *app != "" {
		for _, o := range targets {
			setTrackingID(o, *app)
		}
	}
	live, err := liveObjects(cfg, mapper, targets)
	if err != nil {
		return err
	}
	result := sync.Reconcile(targets, live, *namespace, scope{mapper})

	log := logr.Discard()
	if *verbose {
		log = funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 1})
	}
	kubectl := &kube.KubectlCmd{Log: log, Tracer: tracing.NopTracer{}}
	foreground := metav1.DeletePropagationForeground
	ctx := context.Background()
	syncCtx, cleanup, err := sync.NewSyncContext("HEAD", result, cfg, cfg, kubectl, *namespace,
		sync.WithLogr(log),
		sync.WithOperationSettings(false, false, false, false),
		sync.WithManifestValidation(true),
		sync.WithPrunePropagationPolicy(&foreground),
		sync.WithReplace(*replace),
		sync.WithServerSideApply(*serverSide),
		sync.WithServerSideApplyManager(argoCDSSAManager),
		sync.WithClientSideApplyMigration(true, ""),
	)
	if err != nil {
		return fmt.Errorf("sync context: %w", err)
	}
	defer cleanup()

	// The controller calls Sync on each reconcile of the running operation
	// until it completes; a one-wave sync completes in the first call.
	var phase synccommon.OperationPhase
	var message string
	var results []synccommon.ResourceSyncResult
	for i := 0; ; i++ {
		syncCtx.Sync(ctx)
		phase, message, results = syncCtx.GetState()
		if phase.Completed() || i == 120 {
			break
		}
		time.Sleep(time.Second)
	}
	for _, r := range results {
		fmt.Printf("%s %s %s/%s: %s\n", r.Status, r.ResourceKey.Kind, r.ResourceKey.Namespace, r.ResourceKey.Name, r.Message)
	}
	fmt.Printf("phase %s: %s\n", phase, message)
	if phase != synccommon.OperationSucceeded {
		return fmt.Errorf("sync %s: %s", phase, message)
	}
	return nil
}

func readManifests(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no object", path)
	}
	return out, nil
}

// setTrackingID adds what Argo CD's annotation tracking (the 3.x default)
// writes on each managed object: APP:GROUP/KIND:NAMESPACE/NAME.
func setTrackingID(o *unstructured.Unstructured, app string) {
	gvk := o.GroupVersionKind()
	a := o.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a["argocd.argoproj.io/tracking-id"] = fmt.Sprintf("%s:%s/%s:%s/%s", app, gvk.Group, gvk.Kind, o.GetNamespace(), o.GetName())
	o.SetAnnotations(a)
}

func newMapper(cfg *rest.Config) (meta.RESTMapper, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		return nil, err
	}
	return restmapper.NewDiscoveryRESTMapper(groups), nil
}

// liveObjects reads the live object of each target (the controller reads
// them from its cluster cache).
func liveObjects(cfg *rest.Config, mapper meta.RESTMapper, targets []*unstructured.Unstructured) (map[kube.ResourceKey]*unstructured.Unstructured, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	live := map[kube.ResourceKey]*unstructured.Unstructured{}
	for _, t := range targets {
		gvk := t.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, err
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(m.Resource).Namespace(t.GetNamespace())
		}
		o, err := ri.Get(context.Background(), t.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		live[kube.GetResourceKey(o)] = o
	}
	return live, nil
}

// scope answers sync.Reconcile's namespaced-or-not question from discovery.
type scope struct{ mapper meta.RESTMapper }

func (s scope) IsNamespaced(gk schema.GroupKind) (bool, error) {
	m, err := s.mapper.RESTMapping(gk)
	if err != nil {
		return false, err
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// versions lists gitops-engine and the kubectl it applies with, from the
// build info.
func versions() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(no build info)"
	}
	var out []string
	for _, m := range bi.Deps {
		switch m.Path {
		case "github.com/argoproj/argo-cd/gitops-engine/v3", "k8s.io/kubectl", "k8s.io/client-go":
			v := m.Version
			if m.Replace != nil {
				v = m.Replace.Version
			}
			out = append(out, m.Path+" "+v)
		}
	}
	return strings.Join(out, "\n") + "\n" + bi.GoVersion
}
