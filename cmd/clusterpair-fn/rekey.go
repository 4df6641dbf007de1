//go:build !lean

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/rekey"
)

func newRekeyCommand() *cobra.Command {
	var o rekey.Options
	var allow []string
	cmd := &cobra.Command{
		Use:   "rekey [DIR...]",
		Short: "Re-encrypt the files the requests reference to the recipients .sops.yaml names today",
		Long: `rekey finds every ClusterPairRequest under each DIR (default: the working
directory), and re-encrypts every SOPS file they reference to the recipients
of the .sops.yaml creation rule that matches the file today, exactly as
` + "`sops updatekeys`" + ` would: the file's data key is decrypted with the keys in
this environment (SOPS_AGE_KEY_FILE, GNUPGHOME, cloud credentials...) and
encrypted to every key of the rule; the encrypted values and the MAC stay as
they are. No value is decrypted, nothing plaintext is written: each file is
replaced atomically by its rekeyed ciphertext.

Run it after rotating a key or removing someone's key from .sops.yaml, with
a key that can still decrypt the files, then commit. It prints, per file,
the recipients added and removed. References must stay inside DIR. Like
every command, it contacts no network key service (Vault, Key Vault, KMS,
age plugins) named by a file or by .sops.yaml unless the operator allows it
(--allow-key-endpoint, CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS).
Encrypted output files (spec.output.file) are encrypted to the request's
spec.output.encrypt recipients, not to .sops.yaml: rekey leaves them alone.`,
		Example: `  # .sops.yaml now names the new age key instead of the old one:
  SOPS_AGE_KEY_FILE=old-and-new.txt clusterpair-fn rekey pairs/
  git commit -am "rekey the pairs for the new age key"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dirs = args
			policy, err := keyPolicy(allow)
			if err != nil {
				return err
			}
			o.KeyPolicy = policy
			changes, err := rekey.Run(o)
			printRekey(cmd.OutOrStdout(), changes, o.DryRun)
			return err
		},
	}
	cmd.Flags().StringVar(&o.SOPSConfig, "sops-config", "", "sops configuration to use instead of the .sops.yaml found from each file upwards (default $SOPS_CONFIG)")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "report what would change; write nothing (no key is needed)")
	addKeyPolicyFlag(cmd.Flags(), &allow)
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
