package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/clusterreader"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/object"
	kustomizeapi "github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/runtime/cel"
	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

var clusterPairGK = schema.GroupKind{Group: "stork.libopenstorage.org", Kind: "ClusterPair"}

type target struct {
	kubeconfig, ks, name, namespace string
	timeout                         time.Duration
}

func targetFlags(name string, args []string) (target, error) {
	var t target
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&t.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster")
	fs.StringVar(&t.ks, "kustomization", "", "the Flux Kustomization (YAML) whose healthCheckExprs apply")
	fs.StringVar(&t.name, "name", "", "the ClusterPair's name")
	fs.StringVar(&t.namespace, "namespace", "", "the ClusterPair's namespace")
	fs.DurationVar(&t.timeout, "timeout", time.Minute, "wait: give up after this long")
	return t, fs.Parse(args)
}

// statusCmd prints the pair's kstatus as Flux's CEL status reader reads it.
func statusCmd(args []string) error {
	t, err := targetFlags("status", args)
	if err != nil {
		return err
	}
	ks, err := readKustomization(t.ks)
	if err != nil {
		return err
	}
	_, c, err := manager(t.kubeconfig, ks)
	if err != nil {
		return err
	}
	newReader, err := celReader(ks)
	if err != nil {
		return err
	}
	reader := newReader(c.RESTMapper())
	res, err := reader.ReadStatus(context.Background(), &clusterreader.DirectClusterReader{Reader: c},
		object.ObjMetadata{GroupKind: clusterPairGK, Name: t.name, Namespace: t.namespace})
	if err != nil {
		return err
	}
	if res.Error != nil {
		fmt.Printf("%s %v\n", res.Status, res.Error)
		return nil
	}
	fmt.Println(res.Status)
	return nil
}

// wait runs ssa's WaitForSetWithContext on the pair, fail fast, with the CEL
// status reader, as the controller does for spec.wait.
func wait(args []string) error {
	t, err := targetFlags("wait", args)
	if err != nil {
		return err
	}
	ks, err := readKustomization(t.ks)
	if err != nil {
		return err
	}
	m, _, err := manager(t.kubeconfig, ks)
	if err != nil {
		return err
	}
	set := object.ObjMetadataSet{{GroupKind: clusterPairGK, Name: t.name, Namespace: t.namespace}}
	ctx, cancel := context.WithTimeout(context.Background(), t.timeout)
	defer cancel()
	if err := m.WaitForSetWithContext(ctx, set, ssa.WaitOptions{Interval: time.Second, Timeout: t.timeout, FailFast: true}); err != nil {
		return fmt.Errorf("health check failed: %w", err)
	}
	fmt.Println("Current")
	return nil
}

// celReader is Flux's CEL status reader for the Kustomization's
// healthCheckExprs.
func celReader(ks *unstructured.Unstructured) (func(meta.RESTMapper) engine.StatusReader, error) {
	raw, _, err := unstructured.NestedSlice(ks.Object, "spec", "healthCheckExprs")
	if err != nil {
		return nil, err
	}
	var checks []kustomizeapi.CustomHealthCheck
	for i, r := range raw {
		var hc kustomizeapi.CustomHealthCheck
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("healthCheckExprs[%d] is not an object", i)
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &hc); err != nil {
			return nil, fmt.Errorf("healthCheckExprs[%d]: %w", i, err)
		}
		checks = append(checks, hc)
	}
	return cel.NewStatusReader(checks)
}

// manager is an ssa.ResourceManager whose poller has the CEL status reader,
// as kustomize-controller builds it.
func manager(kubeconfig string, ks *unstructured.Unstructured) (*ssa.ResourceManager, client.Client, error) {
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		return nil, nil, err
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, nil, err
	}
	wc, err := client.NewWithWatch(cfg, client.Options{Mapper: mapper})
	if err != nil {
		return nil, nil, err
	}
	var c client.Client = wc
	if os.Getenv("FLUXAPPLY_TRACE") != "" {
		c = traced(wc)
	}
	newReader, err := celReader(ks)
	if err != nil {
		return nil, nil, err
	}
	poller := polling.NewStatusPoller(c, mapper, polling.Options{CustomStatusReaders: []engine.StatusReader{newReader(mapper)}})
	return ssa.NewResourceManager(c, poller, owner), c, nil
}

func restConfig(path string) (*rest.Config, error) {
	if path == "" {
		return nil, fmt.Errorf("-kubeconfig is required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}

// traced logs, on stderr, each Get and Delete ssa makes, before it makes it
// (FLUXAPPLY_TRACE set): the suite uses it to see where an apply is (e.g.
// polling for a deleted object), never to change what ssa does.
func traced(c client.WithWatch) client.WithWatch {
	return interceptor.NewClient(c, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			fmt.Fprintf(os.Stderr, "fluxapply: trace: get %s %s\n", obj.GetObjectKind().GroupVersionKind().Kind, key)
			return c.Get(ctx, key, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			fmt.Fprintf(os.Stderr, "fluxapply: trace: delete %s %s/%s\n", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetNamespace(), obj.GetName())
			return c.Delete(ctx, obj, opts...)
		},
	})
}
