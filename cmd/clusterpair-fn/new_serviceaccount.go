//go:build !lean

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/author"
)

// serviceAccountHelp is appended to new's long help.
const serviceAccountHelp = `

--service-account NAME (recommended for production pairs): instead of the
credential of --kubeconfig, write a dedicated ServiceAccount's token, the way
` + "`argocd cluster add`" + ` registers a cluster. With the operator's kubeconfig, new
creates (or reuses) ServiceAccount NAME in --service-account-namespace
(default kube-system), ClusterRoleBinding clusterpair-fn:NAMESPACE:NAME to
--cluster-role (default cluster-admin: Stork applies whatever a Migration
selects on the destination, CRDs and RBAC included; see
docs/service-account.md), and a token: a kubernetes.io/service-account-token
Secret NAME-token (does not expire), or with --token-duration D a
TokenRequest token of that lifetime bound to Secret NAME-token-binding. The
kubeconfig written holds that token and the server's CA only. Re-running
reuses everything; --force rotates: the Secret is deleted (every token issued
from it stops authenticating) and created anew. --dry-run prints the objects
and neither contacts the cluster nor writes anything.`

// addServiceAccountFlags adds the flags of `new --service-account`.
func addServiceAccountFlags(cmd *cobra.Command, o *author.ServiceAccountOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Name, "service-account", "", "create (or reuse) this ServiceAccount on the destination and write its token instead of the kubeconfig's credential")
	f.StringVar(&o.Namespace, "service-account-namespace", author.DefaultServiceAccountNamespace, "namespace of --service-account")
	f.StringVar(&o.ClusterRole, "cluster-role", author.DefaultClusterRole, "ClusterRole to bind --service-account to")
	f.DurationVar(&o.TokenDuration, "token-duration", 0, "issue a TokenRequest token of this lifetime (e.g. 8760h) instead of a non-expiring Secret token")
	f.BoolVar(&o.DryRun, "dry-run", false, "with --service-account: print the objects it would create; contact nothing, write nothing")
}

// runServiceAccountDryRun prints the objects of --service-account.
func runServiceAccountDryRun(out io.Writer, o author.ServiceAccountOptions) error {
	plan, err := author.ServiceAccountPlan(o)
	if err != nil {
		return err
	}
	_, err = out.Write(plan)
	return err
}

// printServiceAccountResult says what --service-account did on the
// destination (no credential).
func printServiceAccountResult(b *strings.Builder, r *author.ServiceAccountResult) {
	if r == nil {
		return
	}
	fmt.Fprintf(b, "ServiceAccount %s/%s bound to ClusterRole %q:\n", r.Namespace, r.Name, r.ClusterRole)
	for _, list := range []struct {
		verb  string
		names []string
	}{{"created", r.Created}, {"reused", r.Reused}, {"revoked", r.Revoked}} {
		for _, n := range list.names {
			fmt.Fprintf(b, "  %-8s %s\n", list.verb, n)
		}
	}
	fmt.Fprintf(b, "  token:   %s\n", r.Token)
}
