//go:build !lean

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/author"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

func newNewCommand() *cobra.Command {
	var f newFlags
	cmd := newNewShell(&f)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		kubeconfig, err := resolveKubeconfig(f.Kubeconfig, os.Getenv)
		if err != nil {
			return err
		}
		sa := author.ServiceAccountOptions{
			Name: f.ServiceAccount, Namespace: f.ServiceAccountNamespace,
			ClusterRole: f.ClusterRole, TokenDuration: f.TokenDuration,
			DryRun: f.DryRun && f.ServiceAccount != "",
		}
		if sa.DryRun {
			return runServiceAccountDryRun(cmd.OutOrStdout(), sa)
		}
		policy, err := secrets.KeyPolicyFromEnv(os.Getenv, f.AllowKeyEndpoints)
		if err != nil {
			return err
		}
		_, encryptor, err := newKeys(policy, nil)
		if err != nil {
			return err
		}
		res, err := author.New(author.Options{
			Name: args[0], Namespace: f.Namespace, Dir: f.Dir,
			Kubeconfig: kubeconfig, Context: f.Context, Server: f.Server,
			Mode: f.Mode, PXEndpoint: f.PXEndpoint, TokenFile: f.TokenFile, TokenEnv: f.TokenEnv,
			ProjectMappings: f.ProjectMappings, Age: f.Age, PGP: f.PGP,
			SOPSConfig: f.SOPSConfig, Force: f.Force, Stdin: cmd.InOrStdin(),
			Layout: f.Layout, OutputAge: f.OutputAge, DryRun: f.DryRun,
			KeyPolicy: policy, Encryptor: encryptor, ServiceAccount: sa,
			Reverse: author.SideOptions{
				Kubeconfig: f.ReverseKubeconfig, Context: f.ReverseContext, Server: f.ReverseServer,
				PXEndpoint: f.ReversePXEndpoint, TokenFile: f.ReverseTokenFile, TokenEnv: f.ReverseTokenEnv,
			},
			ObjectStore: author.ObjectStoreOptions{
				Provider: f.ObjectStore, Bucket: f.Bucket,
				EncryptionKeyFile: f.ObjectStoreEncryptionKeyFile, EncryptionKeyEnv: f.ObjectStoreEncryptionKeyEnv,
				S3Endpoint: f.S3Endpoint, S3Region: f.S3Region, S3DisableSSL: f.S3DisableSSL, S3StorageClass: f.S3StorageClass, S3SSE: f.S3SSE,
				S3AccessKeyIDFile: f.S3AccessKeyIDFile, S3AccessKeyIDEnv: f.S3AccessKeyIDEnv,
				S3SecretAccessKeyFile: f.S3SecretAccessKeyFile, S3SecretAccessKeyEnv: f.S3SecretAccessKeyEnv,
				AzureAccountName: f.AzureAccountName, AzureEnvironment: f.AzureEnvironment, AzureResourceGroup: f.AzureResourceGroup,
				AzureAccountKeyFile: f.AzureAccountKeyFile, AzureAccountKeyEnv: f.AzureAccountKeyEnv,
				GoogleProjectID: f.GoogleProjectID, GoogleAccountKeyFile: f.GoogleAccountKeyFile, GoogleAccountKeyEnv: f.GoogleAccountKeyEnv,
			},
		})
		if err != nil {
			return err
		}
		printNewResult(cmd.OutOrStdout(), cmd.ErrOrStderr(), res)
		return nil
	}
	return cmd
}

// printNewResult says what was written (to out) and the renderer's
// warnings (to errOut). Nothing printed holds a credential.
func printNewResult(out, errOut io.Writer, res *author.Result) {
	var b strings.Builder
	if res.DryRun {
		fmt.Fprintf(&b, "Would write %s (--dry-run: nothing was written):\n", filepath.Clean(res.Dir)+string(filepath.Separator))
	} else {
		fmt.Fprintf(&b, "Wrote %s, ready to commit:\n", filepath.Clean(res.Dir)+string(filepath.Separator))
	}
	for _, f := range res.Files {
		switch f.Name {
		case author.RequestFile:
			fmt.Fprintf(&b, "  %-28s the ClusterPairRequest\n", f.Name)
		case author.KustomizationFile:
			fmt.Fprintf(&b, "  %-28s generators: [%s]\n", f.Name, author.RequestFile)
		case author.KptfileFile, author.KrmignoreFile, author.RenderScriptFile:
			fmt.Fprintf(&b, "  %-28s %s\n", f.Name, layoutFileRole(f.Name, res.Reverse != nil))
		default:
			from := "explicit recipients"
			if f.SOPSConfig != "" {
				from = "creation rule of " + f.SOPSConfig
			}
			fmt.Fprintf(&b, "  %-28s SOPS-encrypted to %s (%s)\n", f.Name, strings.Join(f.Recipients, ", "), from)
		}
	}
	printServiceAccountResult(&b, res.ServiceAccount)
	fmt.Fprintf(&b, "Kubeconfig: context %q only (cluster %q at %s, user %q: %s).\n", res.Context, res.Cluster, res.Server, res.User, res.Auth)
	if r := res.Reverse; r != nil {
		fmt.Fprintf(&b, "Reverse kubeconfig: context %q only (cluster %q at %s, user %q: %s).\n", r.Context, r.Cluster, r.Server, r.User, r.Auth)
	}
	fmt.Fprintf(&b, "Next: clusterpair-fn check --live %s\n", res.Dir)
	_, _ = io.WriteString(out, b.String())
	for _, w := range res.Warnings {
		fmt.Fprintf(errOut, "clusterpair-fn: warning: %s\n", author.Describe(w))
	}
}

// layoutFileRole says what a file of the kpt or flux layout is for;
// reverse is whether the pair has a reverse side.
func layoutFileRole(name string, reverse bool) string {
	switch name {
	case author.KptfileFile:
		return "kpt pipeline: exec clusterpair-fn"
	case author.KrmignoreFile:
		return "keeps " + author.SecretsDir + "/ out of kpt's view"
	}
	if reverse {
		return "CI: renders " + author.RenderedDir + "/source/ and " + author.RenderedDir + "/destination/ for Flux"
	}
	return "CI: renders " + author.RenderedFile + " for Flux"
}
