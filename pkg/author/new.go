package author

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// Options are the inputs of New; the flags of `clusterpair-fn new`.
type Options struct {
	// Name and Namespace of the ClusterPair (and of the request).
	Name, Namespace string
	// Dir is the pair directory to write; default: Name, under the working directory.
	Dir string
	// Kubeconfig is the path of the kubeconfig that reaches the destination.
	Kubeconfig string
	// Context to keep; default: the kubeconfig's current-context.
	Context string
	// Server, when set, becomes spec.destination.kubeconfig.server.
	Server string
	// Mode is async-dr (default), migration or sync-dr.
	Mode string
	// PXEndpoint is the destination's Portworx API endpoint (see
	// ParsePXEndpoint); required unless Mode is sync-dr.
	PXEndpoint string
	// TokenFile ("-" for Stdin) or TokenEnv (a variable name) holds the
	// destination's pairing token; exactly one unless Mode is sync-dr.
	TokenFile, TokenEnv string
	// ProjectMappings in storkctl's --project-mappings form.
	ProjectMappings string
	// Age and PGP are explicit SOPS recipients; without them, the creation
	// rules of the .sops.yaml found from Dir upwards (or SOPSConfig) apply.
	Age, PGP []string
	// SOPSConfig is an explicit sops configuration file (like sops --config).
	SOPSConfig string
	// Force replaces existing files (and, with ServiceAccount, rotates its token).
	Force bool
	// KeyPolicy lists the network key sources (Vault, Key Vault, KMS) that
	// the creation rule's recipients may name; the zero policy allows none.
	KeyPolicy secrets.KeyPolicy
	// Encryptor SOPS-encrypts the credentials New writes; nil makes New
	// fail (secrets.ErrNoEncryptor) before it contacts any cluster or
	// writes anything.
	Encryptor secrets.Encryptor
	// ServiceAccount, when its Name is set, writes a dedicated
	// ServiceAccount's token instead of the operator's credential.
	ServiceAccount ServiceAccountOptions
	// Layout is kustomize (default), kpt or flux (see Layouts).
	Layout string
	// OutputAge are the age recipients of the rendered output (kpt and
	// flux layouts); default: Age.
	OutputAge []string
	// DryRun does everything but write: the Result lists what would be
	// written.
	DryRun bool
	// Reverse, when any of it is set, adds spec.reverse: the pair the
	// destination cluster gets, pointing back at the source cluster (the
	// --reverse-* flags). Its kubeconfig and token are read, checked and
	// written exactly like the forward ones.
	Reverse SideOptions
	// ObjectStore, with a Provider, adds spec.objectStore and writes its
	// credentials into ObjectStoreFile.
	ObjectStore ObjectStoreOptions

	// Stdin is read for the one file flag that is "-" (TokenFile, say).
	Stdin io.Reader
	// Getenv reads TokenEnv, the other *Env variables and SOPS_CONFIG; nil
	// means os.Getenv.
	Getenv func(string) string
	// Now is the time certificates are checked against; nil means time.Now.
	Now func() time.Time
}

// File is one file New wrote.
type File struct {
	// Name is the file name inside Result.Dir.
	Name string
	// Encrypted is true for the SOPS-encrypted files.
	Encrypted bool
	// Recipients and SOPSConfig say whom an encrypted file is encrypted to
	// and which configuration's creation rule applied ("" when none).
	Recipients []string
	SOPSConfig string
}

// Result describes what New wrote.
type Result struct {
	// Dir is the pair directory.
	Dir string
	// Files are the files written, the request first.
	Files []File
	// Context, Cluster and User are the kubeconfig entries kept; Server is
	// the cluster's server (scheme, host and port only) and Auth how the user
	// authenticates (no credential).
	Context, Cluster, User, Server, Auth string
	// DryRun is true when nothing was written (Options.DryRun).
	DryRun bool
	// Warnings are the renderer's warnings about the pair (exec plugins,
	// insecure-skip-tls-verify, loopback servers...).
	Warnings diag.Findings
	// ServiceAccount says what --service-account did; nil without it.
	ServiceAccount *ServiceAccountResult
	// Reverse describes the reverse pair's kubeconfig; nil without one.
	Reverse *KubeconfigResult
}

// KubeconfigResult describes a kubeconfig New kept: the context, cluster
// and user names, the server (scheme, host and port only) and how the user
// authenticates (no credential).
type KubeconfigResult struct {
	Context, Cluster, User, Server, Auth string
}

// FindingsError is the error New returns when the pair would not render:
// nothing has been written.
type FindingsError struct {
	Findings diag.Findings
}

// Error implements error: every error finding, one per line.
func (e *FindingsError) Error() string {
	lines := make([]string, 0, len(e.Findings))
	for _, f := range e.Findings.Errors() {
		lines = append(lines, Describe(f))
	}
	return "the pair would not render, nothing was written:\n  " + strings.Join(lines, "\n  ")
}

// Describe writes a finding about a request field in terms of New's flags.
func Describe(f diag.Finding) string {
	where := f.Field
	if flag := flagFor(f.Field); flag != "" {
		where = flag + " (" + f.Field + ")"
	}
	if where == "" {
		return f.Message
	}
	return where + ": " + f.Message
}

// flagFor names the flag a request field comes from.
func flagFor(field string) string {
	for _, m := range flagFields() {
		if field == m.prefix || strings.HasPrefix(field, m.prefix+".") {
			return m.flag
		}
	}
	return ""
}

// flagField is a request field (and the fields under it) and its flag.
type flagField struct{ prefix, flag string }

// flagFields lists the request fields New writes with their flags, the
// more specific first. The fields of each side come from v1alpha1's Side.
func flagFields() []flagField {
	out := []flagField{{"metadata.name", "NAME"}, {"metadata.namespace", "--namespace"}}
	both := &v1alpha1.ClusterPairRequest{Spec: v1alpha1.ClusterPairRequestSpec{Reverse: &v1alpha1.Reverse{}}}
	for _, side := range []v1alpha1.Side{v1alpha1.SideSource, v1alpha1.SideDestination} {
		view, _ := both.Side(side)
		in := &sideInput{side: side}
		out = append(out,
			flagField{view.KubeconfigField + ".server", in.flag("server")},
			flagField{view.KubeconfigField + ".context", in.flag("context")},
			flagField{view.KubeconfigField, in.flag("kubeconfig")},
			flagField{view.StorageField + ".token", in.flag("token-file") + "/" + in.flag("token-env")},
			flagField{view.StorageField, in.flag("px-endpoint")},
		)
	}
	out = append(out, flagField{"spec.mode", "--mode"}, flagField{"spec.rancher", "--project-mappings"})
	return append(out, objectStoreFlagFields()...)
}

// New checks the options, renders the pair in memory exactly as the
// function will (both sides of a bidirectional request), and only then
// encrypts the kubeconfigs, tokens and object store credentials and writes
// the pair directory. On any error nothing is written.
func New(opts Options) (*Result, error) {
	if opts.Encryptor == nil {
		return nil, secrets.ErrNoEncryptor
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	mode, sides, store, err := opts.check()
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		dir = opts.Name
	}
	reverse := len(sides) > 1
	lay, err := opts.layout(reverse)
	if err != nil {
		return nil, err
	}
	if err := checkLayoutTargets(dir, lay.names(opts.Name, inputs(lay, sides, store), reverse), opts.Force); err != nil {
		return nil, err
	}

	for _, s := range sides {
		if err := s.load(opts, getenv); err != nil {
			return nil, err
		}
	}
	if err := checkDistinct(sides); err != nil {
		return nil, err
	}
	if store != nil {
		if err := store.read(opts, getenv); err != nil {
			return nil, err
		}
	}
	var encrypted []string
	for _, in := range inputs(lay, sides, store) {
		encrypted = append(encrypted, in.name)
	}
	request, err := requestYAML(opts.request(mode, lay, sides, store), opts.ProjectMappings, encrypted)
	if err != nil {
		return nil, err
	}
	renderAll := func() (diag.Findings, error) {
		return render(request, inputs(lay, sides, store), reverse, opts.Encryptor, now())
	}
	src := sides[0]
	var saResult *ServiceAccountResult
	if opts.ServiceAccount.enabled() {
		check := func() error { _, err := renderAll(); return err }
		if src.kc, saResult, err = opts.swapInServiceAccount(src.kc, check); err != nil {
			return nil, err
		}
	}
	warnings, err := renderAll()
	if err != nil {
		return nil, err
	}
	if reverse {
		rev := sides[1].kc
		warnings.Warnf("spec.reverse.kubeconfig", "writes the credential of user %q (%s) as given: --service-account makes a dedicated account on the destination only; for the reverse pair, create one on the source cluster the same way (docs/service-account.md) and pass its kubeconfig", rev.user, rev.auth)
	}

	enc := secrets.FileEncryptOptions{Age: opts.Age, PGP: opts.PGP, ConfigFile: opts.SOPSConfig, Getenv: getenv, Policy: opts.KeyPolicy}
	files := []outFile{{name: RequestFile, data: request}}
	result := &Result{
		Dir: dir, Context: src.kc.context, Cluster: src.kc.cluster, User: src.kc.user, Server: src.kc.server, Auth: src.kc.auth, Warnings: warnings,
		ServiceAccount: saResult,
		Files:          []File{{Name: RequestFile}},
	}
	for _, in := range inputs(lay, sides, store) {
		e, err := opts.Encryptor.EncryptFile(in.data, filepath.Join(dir, filepath.FromSlash(in.name)), enc)
		if err != nil {
			return nil, fmt.Errorf("encrypting %s: %w", path.Base(in.name), err)
		}
		if err := in.leaks(path.Base(in.name), e); err != nil {
			return nil, err
		}
		files = append(files, outFile{name: in.name, data: e.Data})
		result.Files = append(result.Files, File{Name: in.name, Encrypted: true, Recipients: e.Recipients, SOPSConfig: e.ConfigFile})
	}
	if reverse {
		kc := sides[1].kc
		result.Reverse = &KubeconfigResult{Context: kc.context, Cluster: kc.cluster, User: kc.user, Server: kc.server, Auth: kc.auth}
	}
	for _, f := range lay.extraFiles(opts.Name, reverse) {
		files = append(files, f)
		result.Files = append(result.Files, File{Name: f.name})
	}
	if opts.DryRun {
		result.DryRun = true
		return result, nil
	}
	if err := writeLayout(dir, files, opts.Force); err != nil {
		return nil, err
	}
	if lay == LayoutFlux {
		//nolint:gosec // G302: render.sh is a script the user and CI run, so it is executable.
		if err := os.Chmod(filepath.Join(dir, RenderScriptFile), 0o755); err != nil {
			return nil, fmt.Errorf("making %s executable: %w", RenderScriptFile, err)
		}
	}
	return result, nil
}

// kubeconfigLeaks refuses an encrypted kubeconfig whose creation rule left
// credentials readable.
func kubeconfigLeaks(name string, e *secrets.EncryptedFile) error {
	leaks, err := unencryptedCredentials(e.Data)
	if err != nil {
		return err
	}
	if len(leaks) > 0 {
		return fmt.Errorf("the sops creation rule for %s (%s) would leave credentials readable (%s): its encrypted_regex or unencrypted_regex is probably meant for Kubernetes Secrets. Add an earlier creation rule matching this path that encrypts everything, or point --sops-config at such a configuration; nothing was written",
			name, describeConfig(e.ConfigFile), strings.Join(leaks, ", "))
	}
	return nil
}

// tokenLeaks refuses an encrypted token file that holds the token.
func tokenLeaks(name string, encrypted, token []byte) error {
	if t := bytes.TrimSpace(token); len(t) > 0 && bytes.Contains(encrypted, t) {
		return fmt.Errorf("encrypting %s left the token readable; nothing was written", name)
	}
	return nil
}

func describeConfig(path string) string {
	if path == "" {
		return "explicit recipients"
	}
	return path
}
