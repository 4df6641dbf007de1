package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
)

func newBuildCommand() *cobra.Command {
	var refuseEncrypted, requireEncrypted bool
	var side string
	var keys keySettings
	var settings operatorSettings
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Render the ClusterPairRequests a kustomization lists under generators:, in this process (the shared renderer)",
		Long: `build renders the ClusterPairRequests that DIR's kustomization (DIR
defaults to ".") lists under generators:, and prints the rendered objects.
It is the generate command of the Argo CD plugin (examples/argocd) and the
command for CI over many teams' directories: it runs no other program (no
kustomize, helm, git or plugin), fetches nothing, reads files only inside
DIR, and refuses a kustomization that uses any other kustomize feature.
Each generator must be a file next to the kustomization whose documents are
ClusterPairRequests.

It prints nothing and exits non-zero when anything would let Argo CD prune
the live pair: no kustomization or generator, no ClusterPair in the render,
a request that fails. With --refuse-encrypted (Argo CD) a SOPS-encrypted
object fails the render; with --require-encrypted (a render committed to
Git, as in the Flux example) an unencrypted one does.

Keys: the environment's sops key sources ($SOPS_AGE_KEY_FILE, ...) under
the allowlist of network key sources ($CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS,
--allow-key-endpoint), or, with a tenant map (--tenants,
$CLUSTERPAIR_FN_TENANTS), the keys of the run's tenant only (--tenant,
$CLUSTERPAIR_FN_TENANT, or $ARGOCD_APP_PROJECT_NAME under Argo CD 3.0+).
The side of a bidirectional pair comes from --side or $CLUSTERPAIR_SIDE
($ARGOCD_ENV_CLUSTERPAIR_SIDE under the Argo CD plugin).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			limits, err := settings.limits(os.Getenv)
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
			r, err := build.Run(build.Options{
				Dir:              dir,
				Processor:        fn.Processor{Decryptor: rk.decryptor, Encryptor: rk.encryptor, Limits: rk.limits, Log: cmd.ErrOrStderr(), Side: chosen},
				RefuseEncrypted:  refuseEncrypted,
				RequireEncrypted: requireEncrypted,
			})
			if errors.Is(err, build.ErrFailed) {
				return fn.ErrFailed // the findings are on stderr already
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(r.Output)
			return err
		},
	}
	cmd.Flags().BoolVar(&refuseEncrypted, "refuse-encrypted", false, "fail when an object is SOPS-encrypted (for Argo CD, which cannot decrypt)")
	cmd.Flags().BoolVar(&requireEncrypted, "require-encrypted", false, "fail when an object is not SOPS-encrypted (for a render committed to Git, as in the Flux example)")
	cmd.MarkFlagsMutuallyExclusive("refuse-encrypted", "require-encrypted")
	cmd.Flags().StringVar(&side, "side", "", `side of a bidirectional pair to render: "source" or "destination" (default from $CLUSTERPAIR_SIDE)`)
	keys.addFlags(cmd.Flags())
	settings.addLimitFlags(cmd.Flags())
	return cmd
}
