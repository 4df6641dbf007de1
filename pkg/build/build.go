// Package build runs `kustomize build --enable-alpha-plugins --enable-exec`
// on a kustomization and passes its output on only when it can be the render
// of a ClusterPair: kustomize succeeded, printed something, and what it
// printed contains at least one stork.libopenstorage.org/v1alpha1
// ClusterPair and no ClusterPairRequest.
//
// It is the generate step of the Argo CD Config Management Plugin
// (`clusterpair-fn build .`). kustomize skips exec functions silently when
// --enable-exec is missing and then "succeeds" with an empty render; Argo CD
// treats an empty render as "the pair was deleted from Git" and, with
// auto-prune, deletes the live ClusterPair. Every way the function can fail
// to run (flags missing, binary missing, generator listed under resources:,
// generator removed) therefore ends here as an error and an empty stdout,
// which Argo CD reports as a failed manifest generation instead of pruning.
//
// There is deliberately no way to allow an empty render.
package build

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The identity of the object the render must contain, and the group of the
// request the function consumes.
const (
	ClusterPairAPIVersion = "stork.libopenstorage.org/v1alpha1"
	ClusterPairKind       = "ClusterPair"
	RequestGroup          = "fn.clusterpair.dev"
)

// KustomizeFlags are the flags Run always passes to `kustomize build`: both
// are needed for kustomize to run an exec KRM function.
var KustomizeFlags = []string{"--enable-alpha-plugins", "--enable-exec"}

// Errors returned by Run and Check; test them with errors.Is.
var (
	// ErrKustomizeNotFound: no kustomize binary at the given path or on PATH.
	ErrKustomizeNotFound = errors.New("kustomize not found")
	// ErrKustomizeFailed: kustomize exited non-zero (its stderr says why).
	ErrKustomizeFailed = errors.New("kustomize build failed")
	// ErrEmptyRender: kustomize succeeded but printed no object.
	ErrEmptyRender = errors.New("kustomize build rendered nothing")
	// ErrNoClusterPair: the render has objects but no ClusterPair.
	ErrNoClusterPair = errors.New("the render contains no ClusterPair")
	// ErrRequestInRender: a ClusterPairRequest reached the render, so the
	// function did not consume it.
	ErrRequestInRender = errors.New("a ClusterPairRequest is in the render")
	// ErrInvalidRender: the output is not a stream of Kubernetes objects.
	ErrInvalidRender = errors.New("the render is not a stream of Kubernetes objects")
	// ErrEncryptedRender: an object is SOPS-encrypted where the consumer
	// cannot decrypt it (Argo CD would apply the ciphertext).
	ErrEncryptedRender = errors.New("the render contains SOPS-encrypted objects")
)

// Options configure Run.
type Options struct {
	// Dir is the kustomization directory; empty means ".".
	Dir string
	// Kustomize is the kustomize binary: a path, or a name looked up on
	// this process's PATH (not Env's). Empty means "kustomize".
	Kustomize string
	// Env is kustomize's environment (and so the function's); nil inherits
	// the current process's environment, including the sops key variables.
	Env []string
	// Stderr receives kustomize's stderr (the function's errors and
	// warnings) as it is written. Nil discards it.
	Stderr io.Writer
	// RefuseEncrypted fails the render when an object is SOPS-encrypted:
	// right for Argo CD, which applies what it is given; wrong for the Flux
	// CI render, whose output is meant to be encrypted.
	RefuseEncrypted bool
}

// Object identifies one object of a render.
type Object struct {
	APIVersion, Kind, Namespace, Name string
}

// String formats the object as kind/namespace/name.
func (o Object) String() string {
	name := o.Name
	if o.Namespace != "" {
		name = o.Namespace + "/" + name
	}
	return o.Kind + " " + name
}

// Render is a checked render.
type Render struct {
	// Output is kustomize's stdout, byte for byte.
	Output []byte
	// Objects are the objects of Output in order.
	Objects []Object
	// ClusterPairs are the ClusterPairs among Objects (at least one).
	ClusterPairs []Object
	// Encrypted are the SOPS-encrypted objects among Objects.
	Encrypted []Object
}

// Run checks DIR with Guard (kustomize runs only the operator's
// clusterpair-fn), then runs `kustomize build --enable-alpha-plugins
// --enable-exec DIR` and checks its output with Check. Kustomize's stdout is held in memory and
// returned only when the checks pass; its stderr is copied to o.Stderr as
// it arrives. Cancelling ctx kills kustomize.
func Run(ctx context.Context, o Options) (*Render, error) {
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	if err := Guard(dir); err != nil {
		return nil, err
	}
	name := o.Kustomize
	if name == "" {
		name = "kustomize"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v: install the standalone kustomize v5 on PATH or pass --kustomize "+
			"(`kubectl kustomize` cannot run exec functions)", ErrKustomizeNotFound, err)
	}
	args := append([]string{"build"}, KustomizeFlags...)
	args = append(args, dir)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = o.Env
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = o.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = io.Discard
	}
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, fmt.Errorf("%w: `kustomize build %s %s`: %v; nothing was printed (kustomize's own message is above)",
			ErrKustomizeFailed, strings.Join(KustomizeFlags, " "), dir, err)
	}
	r, err := Check(stdout.Bytes())
	if err != nil {
		return nil, err
	}
	if o.RefuseEncrypted && len(r.Encrypted) > 0 {
		return nil, fmt.Errorf("%w: %s; Argo CD cannot decrypt them and would apply the ciphertext. "+
			"Remove spec.output.encrypt from requests rendered by Argo CD (encrypted output is for Flux)", ErrEncryptedRender, describe(r.Encrypted))
	}
	return r, nil
}

// Check parses the output of `kustomize build` and returns it as a Render
// if it holds at least one ClusterPair and no ClusterPairRequest.
func Check(out []byte) (*Render, error) {
	r := &Render{Output: out}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: document %d: %v", ErrInvalidRender, i, err)
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		var probe any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			return nil, fmt.Errorf("%w: document %d: %v", ErrInvalidRender, i, err)
		}
		if probe == nil {
			continue // an empty document (comments, a lone ---)
		}
		if _, ok := probe.(map[string]any); !ok {
			return nil, fmt.Errorf("%w: document %d is not a mapping", ErrInvalidRender, i)
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("%w: document %d: %v", ErrInvalidRender, i, err)
		}
		if meta.APIVersion == "" || meta.Kind == "" {
			return nil, fmt.Errorf("%w: document %d has no apiVersion or kind", ErrInvalidRender, i)
		}
		obj := Object{APIVersion: meta.APIVersion, Kind: meta.Kind, Namespace: meta.Metadata.Namespace, Name: meta.Metadata.Name}
		r.Objects = append(r.Objects, obj)
		if _, encrypted := probe.(map[string]any)["sops"]; encrypted {
			r.Encrypted = append(r.Encrypted, obj)
		}
		if obj.APIVersion == ClusterPairAPIVersion && obj.Kind == ClusterPairKind {
			r.ClusterPairs = append(r.ClusterPairs, obj)
		}
	}
	for _, o := range r.Objects {
		if group, _, ok := strings.Cut(o.APIVersion, "/"); ok && group == RequestGroup {
			return nil, fmt.Errorf("%w: %s (%s) was output as a plain resource, so clusterpair-fn did not render it; "+
				"list the request under `generators:` (not `resources:`) in kustomization.yaml; refusing to print this render",
				ErrRequestInRender, o, o.APIVersion)
		}
	}
	if len(r.Objects) == 0 {
		return nil, fmt.Errorf("%w; refusing to print an empty render, which Argo CD would apply by pruning the live ClusterPair. "+
			"Check that kustomization.yaml lists the ClusterPairRequest under `generators:` and that its "+
			"config.kubernetes.io/function annotation says `exec: {path: clusterpair-fn}`", ErrEmptyRender)
	}
	if len(r.ClusterPairs) == 0 {
		return nil, fmt.Errorf("%w: kustomize rendered %s but no %s %s; refusing to print a render that would prune the live ClusterPair. "+
			"Check that kustomization.yaml lists the ClusterPairRequest under `generators:`",
			ErrNoClusterPair, describe(r.Objects), ClusterPairAPIVersion, ClusterPairKind)
	}
	return r, nil
}

// describe lists up to five objects.
func describe(objs []Object) string {
	const max = 5
	var parts []string
	for i, o := range objs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(objs)-max))
			break
		}
		parts = append(parts, o.String()+" ("+o.APIVersion+")")
	}
	noun := "objects"
	if len(objs) == 1 {
		noun = "object"
	}
	return fmt.Sprintf("%d %s [%s]", len(objs), noun, strings.Join(parts, ", "))
}
