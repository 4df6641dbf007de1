// Package build is the shared renderer: `clusterpair-fn build DIR`, the
// generate command of the Argo CD plugin and the command CI runs over many
// teams' directories. It renders the ClusterPairRequests that DIR's
// kustomization lists under generators:, in this process, and prints the
// rendered objects.
//
// It is safe by construction rather than by inspection: it starts no
// program (no kustomize, helm, git or plugin), opens no network connection
// (except to the key services the operator allowed, through the
// decryptor), reads only files inside DIR through an os.Root, and
// interprets no kustomize feature but generators: a kustomization that
// sets any other field is refused. kustomize's own decoder reads the
// kustomization, so no second parser has to agree with it about which
// fields are set; nothing of what the fields say is ever acted on.
//
// Everything that would let Argo CD prune the live pair is an error with
// nothing printed: no kustomization, no generator, no ClusterPair in the
// render, a ClusterPairRequest left in it, and (RefuseEncrypted) a
// SOPS-encrypted object Argo CD would apply as ciphertext. Flux CI renders
// ask for the opposite (RequireEncrypted): every object encrypted, or
// nothing is printed. There is deliberately no way to allow an empty
// render.
package build

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// Errors returned by Run; test them with errors.Is.
var (
	// ErrEmptyRender: nothing to render (no kustomization, no generator,
	// no request), which Argo CD would apply by pruning.
	ErrEmptyRender = errors.New("the render is empty")
	// ErrNoClusterPair: the render has objects but no ClusterPair.
	ErrNoClusterPair = errors.New("the render contains no ClusterPair")
	// ErrRequestInRender: a ClusterPairRequest reached the render.
	ErrRequestInRender = errors.New("a ClusterPairRequest is in the render")
	// ErrEncryptedRender: an object is SOPS-encrypted where the consumer
	// cannot decrypt it (Argo CD would apply the ciphertext).
	ErrEncryptedRender = errors.New("the render contains SOPS-encrypted objects")
	// ErrPlaintextRender: an object is not SOPS-encrypted where the render
	// is committed to Git (Flux CI).
	ErrPlaintextRender = errors.New("the render contains objects that are not SOPS-encrypted")
	// ErrFailed: a request did not render; the findings were logged.
	ErrFailed = errors.New("a ClusterPairRequest did not render")
)

// Options configure Run.
type Options struct {
	// Dir is the directory to render; empty means ".". Every file build
	// reads is inside it.
	Dir string
	// Processor renders the requests: its decryptor, encryptor, limits,
	// side and log. Its Root is set to Dir.
	Processor fn.Processor
	// RefuseEncrypted fails the render when an object is SOPS-encrypted:
	// right for Argo CD, which applies what it is given.
	RefuseEncrypted bool
	// RequireEncrypted fails the render when an object is not
	// SOPS-encrypted: right for a render that is committed to Git.
	RequireEncrypted bool
}

// Object identifies one object of a render.
type Object struct {
	APIVersion, Kind, Namespace, Name string
}

// String formats the object as kind namespace/name.
func (o Object) String() string {
	name := o.Name
	if o.Namespace != "" {
		name = o.Namespace + "/" + name
	}
	return o.Kind + " " + name
}

// Render is a checked render.
type Render struct {
	// Output is the rendered objects as a YAML stream.
	Output []byte
	// Objects are the objects of Output in order.
	Objects []Object
	// ClusterPairs are the ClusterPairs among Objects (at least one).
	ClusterPairs []Object
	// Encrypted are the SOPS-encrypted objects among Objects.
	Encrypted []Object
}

// Run renders Dir. Findings go to the Processor's log as the function
// reports them; any error means no Render.
func Run(o Options) (*Render, error) {
	if o.RefuseEncrypted && o.RequireEncrypted {
		return nil, errors.New("refusing encrypted objects and requiring them are exclusive")
	}
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	p := o.Processor
	p.Root = dir
	root, err := secrets.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	defer root.Close()
	if p.Budget == nil {
		p.Budget = secrets.NewBudget(p.Limits.WithDefaults().MaxReadBytes)
	}
	// The kustomization and the generator files count against the run's
	// read budget like every referenced file.
	files := secrets.NewResolver(root, nil).WithBudget(p.Budget)
	// The kustomization and the generator files share one parse budget.
	parse := secrets.NewParseBudget(p.Limits)
	name, k, err := readKustomization(files, parse)
	if err != nil {
		return nil, err
	}
	requests, err := generatorRequests(files, parse, name, k)
	if err != nil {
		return nil, err
	}
	if len(requests) == 0 {
		return nil, fmt.Errorf("%w; refusing to print an empty render, which Argo CD would apply by pruning the live ClusterPair: the generator files of %s hold no ClusterPairRequest", ErrEmptyRender, name)
	}
	if o.RefuseEncrypted {
		if err := refuseEncryptedOutput(requests); err != nil {
			return nil, err
		}
	}
	run, err := p.RenderFiles(requests)
	if err != nil {
		return nil, err
	}
	if p.LogFindings(run) {
		return nil, ErrFailed
	}
	var objects []*sdk.KubeObject
	for i := range run.Requests {
		objects = append(objects, run.Requests[i].Objects...)
	}
	sort.SliceStable(objects, func(i, j int) bool { return applyOrder(objects[i]) < applyOrder(objects[j]) })
	return check(objects, o)
}

// applyOrder sorts what a pair needs before the pair: Secrets, then
// BackupLocations, then ClusterPairs, each by namespace and name, which
// is also the order `kustomize build` prints them in.
func applyOrder(o *sdk.KubeObject) string {
	var rank string
	switch o.GetKind() {
	case "Secret":
		rank = "0"
	case stork.BackupLocationKind:
		rank = "1"
	case stork.ClusterPairKind:
		rank = "2"
	default:
		rank = "3" + o.GetKind()
	}
	return rank + "\x00" + o.GetNamespace() + "\x00" + o.GetName()
}

// refuseEncryptedOutput refuses, before anything is read or decrypted, a
// request whose output would be SOPS-encrypted (spec.output.encrypt, or
// spec.reverse.output.encrypt): such a render can only be refused with
// RefuseEncrypted, so it is never rendered, nor encrypted, nor handed to a
// key service.
func refuseEncryptedOutput(requests []fn.FileRequest) error {
	for _, r := range requests {
		for _, field := range [][]string{{"spec", "output", "encrypt"}, {"spec", "reverse", "output", "encrypt"}} {
			if _, found, _ := r.Object.NestedSubObject(field...); found {
				id := Object{Kind: r.Object.GetKind(), Namespace: r.Object.GetNamespace(), Name: r.Object.GetName()}
				return fmt.Errorf("%w: %s (%s) sets %s; Argo CD cannot decrypt the render and would apply the ciphertext. "+
					"Remove it from requests rendered by Argo CD (encrypted output is for Flux); nothing was decrypted", ErrEncryptedRender, id, r.File, strings.Join(field, "."))
			}
		}
	}
	return nil
}

// check refuses a render that would make Argo CD prune the live pair or
// apply what it should not, and encodes the rest.
func check(objects []*sdk.KubeObject, o Options) (*Render, error) {
	r := &Render{}
	var out bytes.Buffer
	var plain []Object // not fully encrypted (fn.FullyEncrypted)
	for i, obj := range objects {
		id := Object{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
		r.Objects = append(r.Objects, id)
		if _, encrypted, _ := obj.NestedSubObject("sops"); encrypted {
			r.Encrypted = append(r.Encrypted, id)
		}
		if !fn.FullyEncrypted(obj) {
			plain = append(plain, id)
		}
		if id.APIVersion == stork.APIVersion && id.Kind == stork.ClusterPairKind {
			r.ClusterPairs = append(r.ClusterPairs, id)
		}
		if group, _, _ := strings.Cut(id.APIVersion, "/"); group == v1alpha1.Group {
			return nil, fmt.Errorf("%w: %s (%s); refusing to print this render", ErrRequestInRender, id, id.APIVersion)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.WriteString(obj.String())
	}
	switch {
	case len(r.Objects) == 0:
		return nil, fmt.Errorf("%w; refusing to print an empty render, which Argo CD would apply by pruning the live ClusterPair", ErrEmptyRender)
	case len(r.ClusterPairs) == 0:
		return nil, fmt.Errorf("%w: the render holds %s but no %s %s; refusing to print a render that would prune the live ClusterPair",
			ErrNoClusterPair, describe(r.Objects), stork.APIVersion, stork.ClusterPairKind)
	case o.RefuseEncrypted && len(r.Encrypted) > 0:
		return nil, fmt.Errorf("%w: %s; Argo CD cannot decrypt them and would apply the ciphertext. "+
			"Remove spec.output.encrypt from requests rendered by Argo CD (encrypted output is for Flux)", ErrEncryptedRender, describe(r.Encrypted))
	case o.RequireEncrypted && len(plain) > 0:
		return nil, fmt.Errorf("%w: %s would be committed with their credentials in plaintext; set spec.output.encrypt on every request of this directory", ErrPlaintextRender, describe(plain))
	}
	r.Output = out.Bytes()
	return r, nil
}

// describe lists up to five objects.
func describe(objs []Object) string {
	const most = 5
	var parts []string
	for i, o := range objs {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(objs)-most))
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
