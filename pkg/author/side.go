package author

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// SideOptions say how one side's pair reaches the cluster it points at:
// the forward flags (--kubeconfig, --px-endpoint...) for the source side,
// the --reverse-* flags for the destination side (Options.Reverse).
type SideOptions struct {
	// Kubeconfig is the path of the kubeconfig that reaches the cluster the
	// pair points at; Context the context to keep (default: its
	// current-context); Server, when set, overrides the context's server.
	Kubeconfig, Context, Server string
	// PXEndpoint is that cluster's Portworx API endpoint (see
	// ParsePXEndpoint); required unless the mode is sync-dr.
	PXEndpoint string
	// TokenFile ("-" for Stdin) or TokenEnv (a variable name) holds that
	// cluster's pairing token; exactly one unless the mode is sync-dr.
	TokenFile, TokenEnv string
}

// set reports whether any option is given.
func (s SideOptions) set() bool { return s != SideOptions{} }

// sideInput is one side of the request New writes: its options and the
// values read from them.
type sideInput struct {
	side v1alpha1.Side
	SideOptions
	// ip and port are the parsed PXEndpoint ("" without storage).
	ip   string
	port int
	// kc and token are loaded by load.
	kc    *kubeconfig
	token []byte
}

// sides returns the source side and, with Reverse, the destination side.
func (o Options) sides() []*sideInput {
	out := []*sideInput{{side: v1alpha1.SideSource, SideOptions: SideOptions{
		Kubeconfig: o.Kubeconfig, Context: o.Context, Server: o.Server,
		PXEndpoint: o.PXEndpoint, TokenFile: o.TokenFile, TokenEnv: o.TokenEnv,
	}}}
	if o.Reverse.set() {
		out = append(out, &sideInput{side: v1alpha1.SideDestination, SideOptions: o.Reverse})
	}
	return out
}

// flag names the side's flag: --NAME for the source side, --reverse-NAME
// for the destination side.
func (s *sideInput) flag(name string) string {
	if s.side == v1alpha1.SideDestination {
		return "--reverse-" + name
	}
	return "--" + name
}

// peer names the cluster the side's pair points at.
func (s *sideInput) peer() string {
	if s.side == v1alpha1.SideDestination {
		return "source"
	}
	return "destination"
}

// check checks the side's options that need no file and parses its
// endpoint.
func (s *sideInput) check(mode v1alpha1.Mode) error {
	if s.Kubeconfig == "" {
		return fmt.Errorf("%s is required: the kubeconfig that reaches the %s cluster", s.flag("kubeconfig"), s.peer())
	}
	if s.TokenFile != "" && s.TokenEnv != "" {
		return fmt.Errorf("give the Portworx token with %s or %s, not both", s.flag("token-file"), s.flag("token-env"))
	}
	if mode == v1alpha1.ModeSyncDR {
		if s.PXEndpoint != "" || s.TokenFile != "" || s.TokenEnv != "" {
			return fmt.Errorf("--mode sync-dr pairs the schedulers of clusters that share one storage fabric: it takes no %s, %s or %s",
				s.flag("px-endpoint"), s.flag("token-file"), s.flag("token-env"))
		}
		return nil
	}
	if s.PXEndpoint == "" {
		return fmt.Errorf("%s is required with --mode %s: the %s's Portworx API endpoint, HOST[:PORT] or http(s)://HOST[:PORT]", s.flag("px-endpoint"), mode, s.peer())
	}
	if s.TokenFile == "" && s.TokenEnv == "" {
		return fmt.Errorf("%s or %s is required with --mode %s: the %s's pairing token (pxctl cluster token show)", s.flag("token-file"), s.flag("token-env"), mode, s.peer())
	}
	ip, port, err := ParsePXEndpoint(s.PXEndpoint)
	if err != nil {
		return fmt.Errorf("%s %w", s.flag("px-endpoint"), err)
	}
	s.ip, s.port = ip, port
	return nil
}

// load reads the side's kubeconfig, reduced to one context, and its token.
func (s *sideInput) load(o Options, getenv func(string) string) error {
	kc, err := loadKubeconfig(s.Kubeconfig, s.Context, s.flag)
	if err != nil {
		return err
	}
	s.kc = kc
	if s.ip != "" {
		src := secretSource{fileFlag: s.flag("token-file"), envFlag: s.flag("token-env"), file: s.TokenFile, env: s.TokenEnv, what: "a Portworx token is one line"}
		if s.token, err = src.read(o.Stdin, getenv); err != nil {
			return err
		}
	}
	return nil
}

// checkDistinct refuses a reverse side that reaches the same cluster with
// the same credential, or pairs with the same token, as the forward side:
// each direction needs the other cluster's.
func checkDistinct(sides []*sideInput) error {
	if len(sides) < 2 {
		return nil
	}
	fwd, rev := sides[0], sides[1]
	if bytes.Equal(fwd.kc.data, rev.kc.data) {
		return fmt.Errorf("--reverse-kubeconfig: context %q of %s is the one --kubeconfig uses: the reverse pair must reach the source cluster", rev.kc.context, rev.Kubeconfig)
	}
	if t := bytes.TrimSpace(rev.token); len(t) > 0 && bytes.Equal(t, bytes.TrimSpace(fwd.token)) {
		return errors.New("--reverse-token-file/--reverse-token-env: the same token as --token-file/--token-env: the reverse pair needs the source cluster's token")
	}
	return nil
}
