package author

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// maxTokenSize bounds a token read from a file or stdin.
const maxTokenSize = 64 << 10

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

	// Stdin is read for TokenFile "-".
	Stdin io.Reader
	// Getenv reads TokenEnv and SOPS_CONFIG; nil means os.Getenv.
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
	for _, m := range []struct{ prefix, flag string }{
		{"metadata.name", "NAME"},
		{"metadata.namespace", "--namespace"},
		{"spec.destination.kubeconfig.server", "--server"},
		{"spec.destination.kubeconfig.context", "--context"},
		{"spec.destination.kubeconfig", "--kubeconfig"},
		{"spec.storage.token", "--token-file/--token-env"},
		{"spec.storage", "--px-endpoint"},
		{"spec.mode", "--mode"},
		{"spec.rancher", "--project-mappings"},
	} {
		if field == m.prefix || strings.HasPrefix(field, m.prefix+".") {
			return m.flag
		}
	}
	return ""
}

// New checks the options, renders the pair in memory exactly as the
// function will, and only then encrypts the kubeconfig and token and writes
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
	fields, err := opts.fields()
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		dir = opts.Name
	}
	lay, err := opts.layout(&fields)
	if err != nil {
		return nil, err
	}
	if err := checkLayoutTargets(dir, lay.names(opts.Name, fields.ip != ""), opts.Force); err != nil {
		return nil, err
	}

	kc, err := loadKubeconfig(opts.Kubeconfig, opts.Context)
	if err != nil {
		return nil, err
	}
	var token []byte
	if fields.ip != "" {
		if token, err = opts.readToken(getenv); err != nil {
			return nil, err
		}
	}
	request := requestYAML(fields)
	var saResult *ServiceAccountResult
	if opts.ServiceAccount.enabled() {
		if kc, saResult, err = opts.swapInServiceAccount(kc, request, token, now()); err != nil {
			return nil, err
		}
	}
	warnings, err := render(request, kc.data, token, now())
	if err != nil {
		return nil, err
	}

	enc := secrets.FileEncryptOptions{Age: opts.Age, PGP: opts.PGP, ConfigFile: opts.SOPSConfig, Getenv: getenv, Policy: opts.KeyPolicy}
	kcEnc, err := opts.Encryptor.EncryptFile(kc.data, filepath.Join(dir, filepath.FromSlash(lay.input(KubeconfigFile))), enc)
	if err != nil {
		return nil, fmt.Errorf("encrypting %s: %w", KubeconfigFile, err)
	}
	leaks, err := unencryptedCredentials(kcEnc.Data)
	if err != nil {
		return nil, err
	}
	if len(leaks) > 0 {
		return nil, fmt.Errorf("the sops creation rule for %s (%s) would leave credentials readable (%s): its encrypted_regex or unencrypted_regex is probably meant for Kubernetes Secrets. Add an earlier creation rule matching this path that encrypts everything, or point --sops-config at such a configuration; nothing was written",
			KubeconfigFile, describeConfig(kcEnc.ConfigFile), strings.Join(leaks, ", "))
	}
	files := []outFile{{name: RequestFile, data: request}, {name: lay.input(KubeconfigFile), data: kcEnc.Data}}
	result := &Result{
		Dir: dir, Context: kc.context, Cluster: kc.cluster, User: kc.user, Server: kc.server, Auth: kc.auth, Warnings: warnings,
		ServiceAccount: saResult,
		Files:          []File{{Name: RequestFile}, {Name: lay.input(KubeconfigFile), Encrypted: true, Recipients: kcEnc.Recipients, SOPSConfig: kcEnc.ConfigFile}},
	}
	if token != nil {
		tokEnc, err := opts.Encryptor.EncryptFile(token, filepath.Join(dir, filepath.FromSlash(lay.input(TokenFile))), enc)
		if err != nil {
			return nil, fmt.Errorf("encrypting %s: %w", TokenFile, err)
		}
		if t := bytes.TrimSpace(token); len(t) > 0 && bytes.Contains(tokEnc.Data, t) {
			return nil, fmt.Errorf("encrypting %s left the token readable; nothing was written", TokenFile)
		}
		files = append(files, outFile{name: lay.input(TokenFile), data: tokEnc.Data})
		result.Files = append(result.Files, File{Name: lay.input(TokenFile), Encrypted: true, Recipients: tokEnc.Recipients, SOPSConfig: tokEnc.ConfigFile})
	}
	for _, f := range lay.extraFiles(opts.Name) {
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

func describeConfig(path string) string {
	if path == "" {
		return "explicit recipients"
	}
	return path
}

// fields checks the options that need no file and returns the request's values.
func (o Options) fields() (requestFields, error) {
	f := requestFields{name: o.Name, namespace: o.Namespace, server: o.Server, projectMappings: o.ProjectMappings}
	f.mode = v1alpha1.Mode(o.Mode)
	if f.mode == "" {
		f.mode = v1alpha1.ModeAsyncDR
	}
	if !slices.Contains(v1alpha1.Modes, f.mode) {
		return f, fmt.Errorf("--mode %q: use async-dr, migration or sync-dr", o.Mode)
	}
	if o.Kubeconfig == "" {
		return f, errors.New("--kubeconfig is required: the kubeconfig that reaches the destination cluster")
	}
	if o.TokenFile != "" && o.TokenEnv != "" {
		return f, errors.New("give the Portworx token with --token-file or --token-env, not both")
	}
	if f.mode == v1alpha1.ModeSyncDR {
		if o.PXEndpoint != "" || o.TokenFile != "" || o.TokenEnv != "" {
			return f, errors.New("--mode sync-dr pairs the schedulers of clusters that share one storage fabric: it takes no --px-endpoint, --token-file or --token-env")
		}
		return f, nil
	}
	if o.PXEndpoint == "" {
		return f, fmt.Errorf("--px-endpoint is required with --mode %s: the destination's Portworx API endpoint, HOST[:PORT] or http(s)://HOST[:PORT]", f.mode)
	}
	if o.TokenFile == "" && o.TokenEnv == "" {
		return f, fmt.Errorf("--token-file or --token-env is required with --mode %s: the destination's pairing token (pxctl cluster token show)", f.mode)
	}
	ip, port, err := ParsePXEndpoint(o.PXEndpoint)
	if err != nil {
		return f, fmt.Errorf("--px-endpoint %w", err)
	}
	f.ip, f.port = ip, port
	return f, nil
}

// readToken reads the token from its file (read in place, never copied),
// stdin, or the environment.
func (o Options) readToken(getenv func(string) string) ([]byte, error) {
	if o.TokenEnv != "" {
		v := getenv(o.TokenEnv)
		if v == "" {
			return nil, fmt.Errorf("--token-env %s: the variable is not set or empty", o.TokenEnv)
		}
		return []byte(v), nil
	}
	var r io.Reader
	if o.TokenFile == "-" {
		if o.Stdin == nil {
			return nil, errors.New("--token-file -: no standard input")
		}
		r = o.Stdin
	} else {
		f, err := os.Open(o.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %s", safePathError(err))
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxTokenSize+1))
	if err != nil {
		return nil, fmt.Errorf("--token-file %s: %s", o.TokenFile, safePathError(err))
	}
	if len(b) > maxTokenSize {
		return nil, fmt.Errorf("--token-file %s: more than %d bytes; a Portworx token is one line", o.TokenFile, maxTokenSize)
	}
	return b, nil
}

// render decodes, defaults, validates and renders the request with the
// in-memory secrets, exactly as the function will; it returns the warnings,
// or a *FindingsError.
func render(request, kubeconfig, token []byte, now time.Time) (diag.Findings, error) {
	req, fs := v1alpha1.Load(request)
	if fs.HasErrors() {
		return nil, &FindingsError{Findings: fs}
	}
	_, rfs := transform.Render(req, transform.Secrets{Kubeconfig: kubeconfig, Token: token, Now: now})
	fs.Add(rfs...)
	if fs.HasErrors() {
		return nil, &FindingsError{Findings: fs}
	}
	return fs, nil
}
