package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fluxcd/pkg/kustomize"
	"github.com/fluxcd/pkg/ssa"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/decrypt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// owner is kustomize-controller's field manager and label group.
var owner = ssa.Owner{Field: "kustomize-controller", Group: "kustomize.toolkit.fluxcd.io"}

func apply(args []string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster to apply to")
	ksPath := fs.String("kustomization", "", "the Flux Kustomization (YAML)")
	dir := fs.String("path", "", "the directory to build (the Kustomization's spec.path in the artifact)")
	ageKeyFile := fs.String("age-key-file", "", "age identities (the decryption Secret's identity.agekey)")
	timeout := fs.Duration("timeout", 0, "cancel the apply after this long; 0 (the default) never does, as kustomize-controller, whose reconcile context has no deadline")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ks, err := readKustomization(*ksPath)
	if err != nil {
		return err
	}
	objects, err := build(*dir, ks, *ageKeyFile)
	if err != nil {
		return err
	}
	m, _, err := manager(*kubeconfig, ks)
	if err != nil {
		return err
	}
	m.SetOwnerLabels(objects, ks.GetName(), ks.GetNamespace())
	ctx := context.Background()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	force, _, _ := unstructured.NestedBool(ks.Object, "spec", "force")
	cs, err := m.ApplyAllStaged(ctx, objects, controllerApplyOptions(force))
	if cs != nil {
		for _, e := range cs.Entries {
			fmt.Printf("%s %s\n", e.Action, e.Subject)
		}
	}
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

// controllerApplyOptions are the apply options kustomize-controller v1.10.1
// passes to ApplyAllStaged (internal/controller/kustomization_controller.go,
// apply()), without the settings this Kustomization does not use (drift
// ignore rules, custom stage kinds, API version migration, disallowed and
// before-dry-run field managers). ForceSelector is what makes a pair
// annotated kustomize.toolkit.fluxcd.io/force: enabled be deleted and
// recreated when its dry-run fails as immutable (Invalid, Conflict, or an
// "immutable" message); spec.force does that for every object. The selector
// values are kustomize-controller/api v1.10.1's EnabledValue, DisabledValue,
// IgnoreValue, IfNotPresentValue and MergeValue.
func controllerApplyOptions(force bool) ssa.ApplyOptions {
	const group = "kustomize.toolkit.fluxcd.io"
	opts := ssa.DefaultApplyOptions()
	opts.Force = force
	opts.ExclusionSelector = map[string]string{group + "/reconcile": "disabled", group + "/ssa": "Ignore"}
	opts.IfNotPresentSelector = map[string]string{group + "/ssa": "IfNotPresent"}
	opts.ForceSelector = map[string]string{group + "/force": "enabled"}
	opts.Cleanup = ssa.ApplyCleanupOptions{
		Annotations: []string{
			"kubectl.kubernetes.io/last-applied-configuration",
			group + "/checksum",
			"fluxcd.io/sync-checksum",
		},
		Labels: []string{"fluxcd.io/sync-gc-mark"},
		FieldManagers: []ssa.FieldManager{
			{Name: "kubectl", OperationType: metav1.ManagedFieldsOperationApply},
			{Name: "kubectl", OperationType: metav1.ManagedFieldsOperationUpdate},
			{Name: "before-first-apply", OperationType: metav1.ManagedFieldsOperationUpdate},
			{Name: owner.Field, OperationType: metav1.ManagedFieldsOperationUpdate},
		},
		Exclusions: map[string]string{group + "/ssa": "Merge"},
	}
	return opts
}

// build runs the controller's generator and secure build on dir (a copy of
// the artifact's path, since the generator writes a kustomization.yaml when
// there is none) and decrypts what is SOPS-encrypted.
func build(dir string, ks *unstructured.Unstructured, ageKeyFile string) ([]*unstructured.Unstructured, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := kustomize.NewGenerator(root, *ks).WriteFile(root); err != nil {
		return nil, fmt.Errorf("kustomize generator: %w", err)
	}
	res, err := kustomize.SecureBuild(root, root, false)
	if err != nil {
		return nil, fmt.Errorf("kustomize build: %w", err)
	}
	var objects []*unstructured.Unstructured
	for _, r := range res.Resources() {
		// As the controller's decryptor: the resource as JSON, decrypted in
		// the JSON format when it has top-level sops metadata.
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, err
		}
		if _, missing := r.GetFieldValue("sops"); missing == nil {
			if data, err = sopsDecrypt(data, ageKeyFile); err != nil {
				return nil, fmt.Errorf("decryption of %s failed: %w", r.CurId(), err)
			}
		}
		var obj unstructured.Unstructured
		if err := yaml.Unmarshal(data, &obj.Object); err != nil {
			return nil, err
		}
		objects = append(objects, &obj)
	}
	return objects, nil
}

// sopsDecrypt decrypts one JSON object with the sops library and the age
// identities of keyFile only (the process environment's keys are cleared).
func sopsDecrypt(data []byte, keyFile string) ([]byte, error) {
	for _, v := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"} {
		os.Unsetenv(v)
	}
	if keyFile == "" {
		return nil, fmt.Errorf("the object is SOPS-encrypted and no decryption key is configured")
	}
	os.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	out, err := decrypt.DataWithFormat(data, formats.Json)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func readKustomization(path string) (*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ks unstructured.Unstructured
	if err := yaml.Unmarshal(data, &ks.Object); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if ks.GetKind() != "Kustomization" {
		return nil, fmt.Errorf("%s is not a Flux Kustomization", path)
	}
	return &ks, nil
}
