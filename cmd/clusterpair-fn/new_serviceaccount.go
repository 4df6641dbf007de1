//go:build !lean

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/author"
)

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
