//go:build !lean

package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/rekey"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

func newRekeyCommand() *cobra.Command {
	var f rekeyFlags
	cmd := newRekeyShell(&f)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		policy, err := secrets.KeyPolicyFromEnv(os.Getenv, f.AllowKeyEndpoints)
		if err != nil {
			return err
		}
		o := rekey.Options{Dirs: args, SOPSConfig: f.SOPSConfig, DryRun: f.DryRun, KeyPolicy: policy}
		changes, err := rekey.Run(o)
		printRekey(cmd.OutOrStdout(), changes, o.DryRun)
		return err
	}
	return cmd
}

// printRekey reports each file: its recipients added and removed.
func printRekey(w io.Writer, changes []rekey.FileChange, dryRun bool) {
	var b strings.Builder
	changed := 0
	for _, c := range changes {
		if !c.Changed() {
			fmt.Fprintf(&b, "%s: up to date (%s)\n", c.Path, strings.Join(c.By, ", "))
			continue
		}
		changed++
		verb := "rekeyed"
		if dryRun {
			verb = "would rekey"
		}
		fmt.Fprintf(&b, "%s: %s (%s)\n", c.Path, verb, strings.Join(c.By, ", "))
		for _, a := range c.Added {
			fmt.Fprintf(&b, "  + %s\n", a)
		}
		for _, r := range c.Removed {
			fmt.Fprintf(&b, "  - %s\n", r)
		}
		if c.Threshold != "" {
			fmt.Fprintf(&b, "  shamir_threshold %s\n", c.Threshold)
		}
	}
	verb := "rekeyed"
	if dryRun {
		verb = "to rekey"
	}
	fmt.Fprintf(&b, "%d file(s) referenced, %d %s.\n", len(changes), changed, verb)
	_, _ = io.WriteString(w, b.String())
}
