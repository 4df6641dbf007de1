package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
)

func newBuildCommand() *cobra.Command {
	var kustomize string
	var refuseEncrypted bool
	var allow []string
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Run kustomize build with exec functions enabled; fail instead of printing an empty or pair-less render",
		Long: `build checks that every KRM function the kustomization tree at DIR
would run is exactly "exec: {path: clusterpair-fn}" (local files and
directories inside DIR only; remote bases, other exec paths, containers and
starlark are refused before kustomize starts), then runs
  kustomize build --enable-alpha-plugins --enable-exec DIR
(DIR defaults to ".") and prints kustomize's output only if it contains at
least one stork.libopenstorage.org/v1alpha1 ClusterPair and no
ClusterPairRequest. Otherwise it prints nothing and exits non-zero: an
empty render is how a skipped exec function looks, and Argo CD would apply
it by pruning the live ClusterPair.

It is the generate command of the Argo CD Config Management Plugin
(examples/argocd). kustomize (the standalone v5 binary) and clusterpair-fn
must be on PATH; the sops key comes from the environment (SOPS_AGE_KEY_FILE,
SOPS_AGE_KEY, ...), as for kustomize itself, and so does the allowlist of
network key sources ($CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS, to which
--allow-key-endpoint adds). kustomize's stderr is passed through.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if _, err := keyPolicy(allow); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			r, err := build.Run(ctx, build.Options{Dir: dir, Kustomize: kustomize, Stderr: cmd.ErrOrStderr(), RefuseEncrypted: refuseEncrypted, Env: keyPolicyEnv(allow)})
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(r.Output)
			return err
		},
	}
	cmd.Flags().StringVar(&kustomize, "kustomize", "", `kustomize binary (a path, or a name looked up on PATH; default "kustomize")`)
	addKeyPolicyFlag(cmd.Flags(), &allow)
	cmd.Flags().BoolVar(&refuseEncrypted, "refuse-encrypted", false, "fail when an object is SOPS-encrypted (for Argo CD, which cannot decrypt; not for Flux CI renders)")
	return cmd
}
