package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// A kubeconfig from the repository may authenticate with an exec plugin (a
// command) or a legacy auth-provider. Building a client from it runs that
// code on this machine; client-go gives an exec plugin this process's whole
// environment (os.Environ(), then the kubeconfig's exec env), which holds
// the sops keys and whatever cloud credentials the operator has. So the
// live API server check of such a pair is skipped unless the operator
// passes AllowExec, and then it runs in a child process (ProbeCommand, which
// calls ServeProbe) started with PluginEnv(os.Environ()): client-go's own
// exec machinery, unchanged, in a process whose environment holds nothing
// secret. The child gets the rendered spec.config on stdin, never a key.

// pluginEnvNames are the variables of this process an exec plugin may see.
// Everything else (SOPS_*, AWS_*, AZURE_*, ARM_*, GOOGLE_*, GCE_*,
// CLOUDSDK_*, VAULT_*, ARGOCD_*, KUBECONFIG, proxies, ...) is dropped.
var pluginEnvNames = [...]string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"}

// PluginEnv returns the entries of environ (as os.Environ returns them) that
// an exec or auth-provider plugin run by `check --live --allow-exec` may
// see: PATH, HOME, USER, LOGNAME, LANG, LC_ALL, LC_CTYPE, LC_MESSAGES, TZ,
// TMPDIR, and SSL_CERT_FILE and SSL_CERT_DIR (the system CA roots the probe
// itself verifies the server with when the kubeconfig has no CA). client-go adds the kubeconfig's own exec env and
// KUBERNETES_EXEC_INFO.
func PluginEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		for _, allowed := range pluginEnvNames {
			if name == allowed {
				out = append(out, kv)
				break
			}
		}
	}
	return out
}

// authPlugin describes the exec plugins and auth-providers of a rendered
// config's users ("" when there are none): building a client runs them.
func authPlugin(cfg *stork.Config) string {
	var found []string
	for name, u := range cfg.AuthInfos {
		if u == nil {
			continue
		}
		if u.Exec != nil {
			found = append(found, fmt.Sprintf("user %q authenticates with the exec plugin %q", name, u.Exec.Command))
		}
		if u.AuthProvider != nil {
			found = append(found, fmt.Sprintf("user %q uses the auth-provider %q", name, u.AuthProvider.Name))
		}
	}
	sort.Strings(found)
	return strings.Join(found, "; ")
}

// probeRequest is what the parent sends the probe child on stdin.
type probeRequest struct {
	Config  *stork.Config `json:"config"`
	Timeout time.Duration `json:"timeout"`
}

// maxProbeOutput bounds what is read from the probe child.
const maxProbeOutput = 64 << 10

// ServeProbe is the probe child's side: it reads a rendered spec.config and
// a timeout from r, runs the API server check in this process (building the
// client runs its exec plugin or auth-provider here) and writes the
// LiveResult as JSON to w. Run it only in a process started with PluginEnv.
func ServeProbe(r io.Reader, w io.Writer) error {
	var req probeRequest
	if err := json.NewDecoder(io.LimitReader(r, 4<<20)).Decode(&req); err != nil {
		return fmt.Errorf("reading the probe request: %w", err)
	}
	if req.Config == nil {
		return errors.New("reading the probe request: no config")
	}
	return json.NewEncoder(w).Encode(probeAPIServer(req.Config, req.Timeout))
}

// probeInChild runs the API server check of cfg through command (argv of a
// process that calls ServeProbe) with env as its whole environment. The
// child's stderr (the plugin's) is discarded: the plugin is repository code
// and may print anything.
func probeInChild(ctx context.Context, command, env []string, cfg *stork.Config, timeout time.Duration) LiveResult {
	r := LiveResult{Check: CheckAPIServer}
	in, err := json.Marshal(probeRequest{Config: cfg, Timeout: timeout})
	if err != nil {
		r.Status, r.Detail = LiveFailed, "encoding the probe request: "+err.Error()
		return r
	}
	// The child's own client timeout bounds the probe; this bounds a plugin
	// that never returns.
	ctx, cancel := context.WithTimeout(ctx, 2*timeout+5*time.Second)
	defer cancel()
	//nolint:gosec // G204: command is this executable's own probe subcommand (os.Executable), set by cmd, never by the input.
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &out, n: maxProbeOutput}
	if err := cmd.Run(); err != nil {
		r.Status, r.Detail = LiveFailed, "the isolated probe process failed: "+err.Error()
		return r
	}
	var got LiveResult
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Check != CheckAPIServer {
		r.Status, r.Detail = LiveFailed, "the isolated probe process gave no result"
		return r
	}
	return got
}

// limitedWriter keeps the first n bytes written and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	keep := p
	if len(keep) > l.n {
		keep = keep[:l.n]
	}
	l.n -= len(keep)
	if _, err := l.w.Write(keep); err != nil {
		return 0, err
	}
	return len(p), nil
}
