package fn

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// Processor renders ClusterPairRequests: the operator's settings of a run.
type Processor struct {
	// Decryptor decrypts referenced files.
	Decryptor secrets.Decryptor
	// Encryptor encrypts the output of requests that set output.encrypt
	// (under the Decryptor's KeyPolicy, see secrets.PolicyOf). nil: such a
	// request fails with an error finding (secrets.ErrNoEncryptor); the
	// others render.
	Encryptor secrets.Encryptor
	// Root is the directory every file a request references must be in:
	// the operator's choice, never the input's (the working directory
	// kustomize or kpt runs the function in, or --root). A request's files
	// resolve against its own directory inside Root, which its path
	// annotations may name but never leave.
	Root string
	// Limits bound the work of one run; zero fields take the defaults.
	Limits secrets.Limits
	// Budget, when set, is the read budget this run shares with others
	// (check renders every request on its own); nil gives the run a budget
	// of Limits.MaxReadBytes.
	Budget *secrets.Budget
	// Log receives one line per finding; usually stderr.
	Log io.Writer
	// Now returns the render time, for certificate validity checks; nil
	// means time.Now.
	Now func() time.Time
	// Side selects which pair of a bidirectional request to render.
	// Empty renders the source side of one-way requests and refuses
	// bidirectional ones.
	Side v1alpha1.Side
}

// Rendering is the typed outcome of a run: what Process reports as results
// and adds to the items, before it is written into the ResourceList.
type Rendering struct {
	// Findings are about the run rather than one request: a request in an
	// unknown version, too many requests, none found. A run with any stops
	// before locating requests, so its Requests are empty.
	Findings diag.Findings
	// Requests are the requests found, in the order Process reports them
	// (namespace, name, file).
	Requests []RequestRendering
}

// RequestRendering is one request of a run and its outcome.
type RequestRendering struct {
	*Request
	Outcome
}

// Failed reports whether the run or any request has an error finding.
func (r *Rendering) Failed() bool {
	if r.Findings.HasErrors() {
		return true
	}
	for i := range r.Requests {
		if r.Requests[i].Findings.HasErrors() {
			return true
		}
	}
	return false
}

// Outcome is what rendering one side of one request gave.
type Outcome struct {
	// Side is the side asked for ("": the only one of a one-way request).
	Side v1alpha1.Side
	// Findings are the request's errors and warnings, in order, its
	// decoding's first; a finding about a referenced file names it in File.
	Findings diag.Findings
	// Objects are the rendered objects as the function adds them to the
	// items: encoded, encrypted when the request asks for it. Nil unless
	// the request rendered without error.
	Objects []*sdk.KubeObject
	// Output is what the side rendered to, typed: the objects before they
	// are encoded and encrypted, so they hold the credentials in plaintext.
	// Nil unless the request rendered without error.
	Output *transform.Output
}

// Render is Process up to its report: the find, locate, decode and render
// steps over rl, whose typed outcome it returns, leaving rl unchanged.
// The error is not about a request: the root cannot be opened.
func (p *Processor) Render(rl *sdk.ResourceList) (*Rendering, error) {
	requests, f := findRequests(rl, p.Limits.WithDefaults())
	if f != nil {
		return &Rendering{Findings: diag.Findings{*f}}, nil
	}
	earlier := map[objectID]*sdk.KubeObject{}
	for _, it := range rl.Items {
		if _, found, _ := it.NestedSubObject("sops"); found {
			earlier[idOf(it)] = it
		}
	}
	for _, r := range requests {
		r.earlier = earlier
	}
	return p.renderAll(requests)
}

// RenderFiles renders requests read from files under Root, as Process
// renders the requests of a ResourceList (versions, limits, confinement,
// sides, encryption, findings), and returns the typed outcome. A request's
// path annotations are ignored: the caller says where it was read, and only
// that directory inside Root is searched for its files. Rendered objects
// carry no path annotation. The error is not about a request: the root
// cannot be opened.
func (p *Processor) RenderFiles(files []FileRequest) (*Rendering, error) {
	objects := make(sdk.KubeObjects, len(files))
	var requests []*Request
	for i, f := range files {
		objects[i] = f.Object
		if isRequest(f.Object) {
			requests = append(requests, &Request{object: f.Object, item: true, file: f.File, index: f.Index, fromFile: true})
		}
	}
	if f := refuseOtherVersions(objects); f != nil {
		return &Rendering{Findings: diag.Findings{*f}}, nil
	}
	if limits := p.Limits.WithDefaults(); len(requests) > limits.MaxRequests {
		return &Rendering{Findings: diag.Findings{*tooManyRequests(len(requests), limits)}}, nil
	}
	return p.renderAll(requests)
}

// RenderEach renders one request as kustomize hands a generator's config
// to the function (placed by its annotations inside Root), decoded once,
// for each side that sides gives for it (check renders both sides of a
// bidirectional request so). The Request is returned for its Loaded. The
// error is not about the request: the root cannot be opened.
func (p *Processor) RenderEach(obj *sdk.KubeObject, sides func(*v1alpha1.ClusterPairRequest) []v1alpha1.Side) (*Request, []Outcome, error) {
	root, err := secrets.OpenRoot(p.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the render root: %w", err)
	}
	defer root.Close()
	req := &Request{object: obj, item: true, index: obj.IndexAnnotation()}
	if f := refuseOtherVersions(sdk.KubeObjects{obj}); f != nil {
		req.misplaced = f
	} else {
		locate(root, req)
	}
	req.decode()
	dirs := newDirectories(root, p.Decryptor, p.Budget, []*Request{req})
	defer dirs.done(req.dir)
	var outs []Outcome
	for _, side := range sides(req.Loaded) {
		res, err := dirs.resolver(req.dir)
		switch {
		case req.misplaced != nil:
			outs = append(outs, Outcome{Side: side, Findings: diag.Findings{*req.misplaced}})
		case err != nil:
			outs = append(outs, Outcome{Side: side, Findings: diag.Findings{{Severity: diag.Error, Message: err.Error()}}})
		default:
			outs = append(outs, p.RenderRequest(req, side, res))
		}
	}
	return req, outs, nil
}

// renderAll locates the requests inside the root and, when none is
// misplaced, decodes and renders each for the processor's side, in
// parallel, sharing one resolver per directory.
func (p *Processor) renderAll(requests []*Request) (*Rendering, error) {
	if len(requests) == 0 {
		return &Rendering{Findings: diag.Findings{{Severity: diag.Error, Message: "no ClusterPairRequest (" + v1alpha1.APIVersion + ") found in the functionConfig or the items"}}}, nil
	}
	root, err := secrets.OpenRoot(p.Root)
	if err != nil {
		return nil, fmt.Errorf("opening the render root: %w", err)
	}
	defer root.Close()
	for _, r := range requests {
		locate(root, r)
	}
	sortRequests(requests)
	run := &Rendering{Requests: make([]RequestRendering, len(requests))}
	refused, ok := refuseMisplaced(requests)
	for i, r := range requests {
		run.Requests[i] = RequestRendering{Request: r, Outcome: Outcome{Findings: refused[i]}}
	}
	if !ok {
		return run, nil
	}
	q := *p // one render time for the whole run
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	q.Now = func() time.Time { return now }
	if q.Budget == nil {
		q.Budget = secrets.NewBudget(p.Limits.WithDefaults().MaxReadBytes)
	}
	dirs := newDirectories(root, q.Decryptor, q.Budget, requests)
	parallel(len(requests), func(i int) {
		r := run.Requests[i].Request
		res, err := dirs.resolver(r.dir)
		r.decode()
		if err != nil {
			// locate opened this directory already and named the annotation
			// if it could not; it can only fail here if it changed since.
			run.Requests[i].Findings = append(r.decoded, diag.Finding{Severity: diag.Error, Message: fmt.Sprintf("the request's directory %q (inside %s) cannot be opened: %s", r.dir, root.Dir(), err)})
		} else {
			run.Requests[i].Outcome = q.RenderRequest(r, q.Side, res)
		}
		dirs.done(r.dir)
	})
	return run, nil
}

// parallel calls do(0), ..., do(n-1), on as many goroutines as there are
// CPUs; this goroutine is one of them, so a single request renders on its
// already grown stack.
func parallel(n int, do func(i int)) {
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			do(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

// RenderRequest is the render step, the one every renderer runs (the KRM
// function, build, check and new): it renders one side of a decoded
// request (Request.Loaded) with the secrets and files res reads. It
// chooses the side (side, or source for a one-way request; a bidirectional
// one needs a side), applies the plaintext guard, resolves the side's
// secret references (v1alpha1's SecretRefs), transforms and emits
// (encodes, and encrypts as output.encrypt asks). A panic becomes an error
// finding that names the request but carries nothing of the panic value,
// which could hold decrypted data.
func (p *Processor) RenderRequest(req *Request, side v1alpha1.Side, res *secrets.Resolver) (out Outcome) {
	defer func() {
		if v := recover(); v != nil {
			out = Outcome{Side: side, Findings: diag.Findings{{Severity: diag.Error, Message: "internal error while rendering this request (a bug in clusterpair-fn; the details are withheld because they could contain secrets)"}}}
		}
	}()
	out.Side = side
	out.Findings = append(out.Findings, req.decoded...)
	cpr := req.Loaded
	if cpr == nil || out.Findings.HasErrors() {
		return out
	}
	side, f := chooseSide(cpr, side)
	if f != nil {
		out.Findings.Add(*f)
		return out
	}
	view, _ := cpr.Side(side) // chooseSide chose a side the request has
	if f := plaintextGuard(req, view.Output, view.OutputField); f != nil {
		out.Findings.Add(*f)
		return out
	}
	in, fs := resolveSecrets(res, cpr.SecretRefs(side))
	addRootHint(fs, req)
	out.Findings.Add(fs...)
	if out.Findings.HasErrors() {
		return out
	}
	in.Now = time.Now()
	if p.Now != nil {
		in.Now = p.Now()
	}
	rendered, fs := transform.RenderSide(cpr, side, in)
	out.Findings.Add(fs...)
	if out.Findings.HasErrors() {
		return out
	}
	objects, fs := p.emit(req, res, rendered, view.Output, view.OutputField)
	out.Findings.Add(fs...)
	if !out.Findings.HasErrors() {
		out.Objects, out.Output = objects, rendered
	}
	return out
}

// chooseSide picks the side to render: the chosen one, or source when the
// request has no reverse pair. A request with a reverse pair needs an
// explicit side, so that a cluster never silently gets the other's pair.
func chooseSide(cpr *v1alpha1.ClusterPairRequest, chosen v1alpha1.Side) (v1alpha1.Side, *diag.Finding) {
	_, bidirectional := cpr.Side(v1alpha1.SideDestination)
	switch {
	case chosen == v1alpha1.SideDestination && !bidirectional:
		return "", &diag.Finding{Severity: diag.Error, Field: "spec.reverse", Message: "the destination side was selected (CLUSTERPAIR_SIDE or --side) but this request has no spec.reverse"}
	case chosen == "" && bidirectional:
		return "", &diag.Finding{Severity: diag.Error, Field: "spec.reverse", Message: "is set, so the request renders a pair for each cluster: choose which one this render is for with CLUSTERPAIR_SIDE=source or CLUSTERPAIR_SIDE=destination (or --side)"}
	case chosen == "":
		return v1alpha1.SideSource, nil
	}
	return chosen, nil
}

// resolveSecrets decrypts the side's references, turning each failure
// into a finding on the field that holds the reference.
func resolveSecrets(res *secrets.Resolver, refs []v1alpha1.FieldRef) (transform.Secrets, diag.Findings) {
	var in transform.Secrets
	var fs diag.Findings
	for _, r := range refs {
		v, err := res.Resolve(r.Ref)
		if err != nil {
			sub := ".file"
			if secrets.ReasonOf(err) == secrets.ReasonKeyNotFound {
				sub = ".key"
			}
			fs.Add(diag.Finding{Severity: diag.Error, Field: r.Field + sub, File: r.Ref.File, Message: err.Error()})
			continue
		}
		in.Set(r.Use, v.Bytes())
	}
	return in, fs
}

// rootHint is added to a "not found" about a file of a request that named
// no package and no file of its own, so that its relative paths resolved
// against the working directory: right under kustomize, wrong when kpt fn
// eval runs the function from another directory.
const rootHint = `; relative paths resolve against the working directory here: under kpt fn eval from another directory, pass the package with --exec "clusterpair-fn --root PATH/TO/PACKAGE"`

// addRootHint appends rootHint to the not-found findings of a request
// whose directory is the working directory.
func addRootHint(fs diag.Findings, req *Request) {
	if req.file != "" || req.fromFile || req.object.GetAnnotation(PackagePathAnnotation) != "" {
		return
	}
	for i := range fs {
		if fs[i].Severity == diag.Error && fs[i].File != "" && strings.Contains(fs[i].Message, "no such file under") {
			fs[i].Message += rootHint
		}
	}
}

// directories are the resolvers of a run, one per directory (relative to
// the root), so that a file referenced by several requests is decrypted
// once. They are safe for concurrent use: requests render in parallel.
type directories struct {
	root   *secrets.Root
	dec    secrets.Decryptor
	budget *secrets.Budget

	mu   sync.Mutex
	open map[string]*directory
}

// directory is a directory's resolver and how many requests still need it.
type directory struct {
	once    sync.Once
	res     *secrets.Resolver
	root    *secrets.Root
	err     error
	pending int
}

func newDirectories(root *secrets.Root, dec secrets.Decryptor, budget *secrets.Budget, requests []*Request) *directories {
	d := &directories{root: root, dec: dec, budget: budget, open: map[string]*directory{}}
	for _, r := range requests {
		o := d.open[r.dir]
		if o == nil {
			o = &directory{}
			d.open[r.dir] = o
		}
		o.pending++
	}
	return d
}

// resolver returns the resolver of a directory, opening it beneath the
// root on first use.
func (d *directories) resolver(dir string) (*secrets.Resolver, error) {
	d.mu.Lock()
	o := d.open[dir]
	d.mu.Unlock()
	o.once.Do(func() {
		o.root, o.err = d.root.Sub(dir)
		if o.err == nil {
			o.res = secrets.NewResolver(o.root, d.dec).WithBudget(d.budget)
		}
	})
	return o.res, o.err
}

// done releases a request's hold on its directory: the last one closes the
// root and drops the decrypted files, so that a fleet of pairs neither keeps
// a descriptor per directory open nor every plaintext in memory.
func (d *directories) done(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := d.open[dir]
	if o.pending--; o.pending == 0 {
		if o.root != nil {
			_ = o.root.Close()
		}
		delete(d.open, dir)
	}
}

// objectID is what makes two objects the same one.
type objectID struct{ apiVersion, kind, namespace, name string }

func idOf(o *sdk.KubeObject) objectID {
	return objectID{o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName()}
}
