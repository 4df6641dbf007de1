// Command clusterpair-fn is a KRM function that renders Stork ClusterPairs
// from ClusterPairRequests whose secrets are SOPS-encrypted.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newRootCommand().Execute(); err != nil {
		var code exitCode
		switch {
		case errors.As(err, &code):
			os.Exit(int(code)) // a handed-over run already reported
		case !errors.Is(err, fn.ErrFailed):
			fmt.Fprintln(os.Stderr, "clusterpair-fn:", err)
		}
		os.Exit(1)
	}
}

// exitCode is the exit status of a run handed over to the full build.
type exitCode int

// Error implements error.
func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// sideEnv names the environment variables that select the side of a
// bidirectional pair, in order of precedence. Argo CD passes an
// Application's plugin env with the ARGOCD_ENV_ prefix.
var sideEnv = []string{"CLUSTERPAIR_SIDE", "ARGOCD_ENV_CLUSTERPAIR_SIDE"}

func newRootCommand() *cobra.Command {
	var side string
	var settings operatorSettings
	var keys keySettings
	root := &cobra.Command{
		Use:   "clusterpair-fn",
		Short: "Render Stork ClusterPairs from SOPS-encrypted ClusterPairRequests (a KRM function)",
		Long: `clusterpair-fn is a KRM function. Run without arguments, it reads a
ResourceList on stdin, renders a Stork ClusterPair for every
ClusterPairRequest (fn.clusterpair.dev/v1alpha1) in it, decrypting the
referenced SOPS files with the keys sops finds in the environment
(SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, GNUPGHOME, cloud KMS credentials...),
and writes the ResourceList to stdout.

Network key sources (Vault, Azure Key Vault, AWS/GCP/HuaweiCloud KMS) named
by a file's sops metadata are used only when the operator allows them with
$CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS or --allow-key-endpoint; otherwise the
file is refused and nothing is contacted.

Use it as a kustomize generator:
  kustomize build --enable-alpha-plugins --enable-exec DIR

Errors and warnings are KRM results and one line each on stderr; any error
means a non-zero exit and no rendered object.

A request with spec.reverse renders one pair per cluster: choose the side
with --side or CLUSTERPAIR_SIDE (ARGOCD_ENV_CLUSTERPAIR_SIDE under an Argo CD
plugin): "source" for the source cluster, "destination" for the other.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				return errors.New("expects a KRM ResourceList on stdin (run it through kustomize or kpt); see --help")
			}
			root, limits, err := settings.resolve(os.Getenv)
			if err != nil {
				return err
			}
			chosen, err := resolveSide(side, os.Getenv)
			if err != nil {
				return err
			}
			rk, err := keys.resolve(os.Getenv, limits)
			if err != nil {
				return err
			}
			defer rk.close()
			p := &fn.Processor{Decryptor: rk.decryptor, Encryptor: rk.encryptor, Root: root, Limits: rk.limits, Log: cmd.ErrOrStderr(), Side: chosen}
			return fn.Run(p, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	root.Flags().StringVar(&side, "side", "", `side of a bidirectional pair to render: "source" or "destination" (default from $CLUSTERPAIR_SIDE)`)
	settings.addFlags(root.Flags())
	keys.addFlags(root.Flags())
	root.SetVersionTemplate("clusterpair-fn {{.Version}}\n")
	root.AddCommand(newBuildCommand())
	root.AddCommand(newNewCommand())
	root.AddCommand(newCheckCommand())
	root.AddCommand(newRekeyCommand())
	root.AddCommand(editionCommands()...)
	return root
}

// resolveSide returns the side from the flag, else from the environment.
func resolveSide(flag string, getenv func(string) string) (transform.Side, error) {
	value, source := flag, "--side"
	for _, name := range sideEnv {
		if value != "" {
			break
		}
		value, source = getenv(name), name
	}
	switch transform.Side(value) {
	case "", transform.SideSource, transform.SideDestination:
		return transform.Side(value), nil
	}
	return "", fmt.Errorf("%s=%q: the side must be %q or %q", source, value, transform.SideSource, transform.SideDestination)
}
