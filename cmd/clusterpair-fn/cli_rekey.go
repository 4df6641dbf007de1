package main

// The command line of `rekey`, shared by both builds: the lean build shows
// the same help and checks the same flags before it hands the command to
// the full build, which alone carries the code (pkg/rekey).

import "github.com/spf13/cobra"

// rekeyFlags are the flags of `rekey`; the full build maps them onto
// rekey.Options.
type rekeyFlags struct {
	SOPSConfig string
	DryRun     bool
	// AllowKeyEndpoints are --allow-key-endpoint's entries.
	AllowKeyEndpoints []string
}

// newRekeyShell returns the `rekey` command with its help and flags bound
// to o, and no RunE.
func newRekeyShell(o *rekeyFlags) *cobra.Command {
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
	}
	cmd.Flags().StringVar(&o.SOPSConfig, "sops-config", "", "sops configuration to use instead of the .sops.yaml found from each file upwards (default $SOPS_CONFIG)")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "report what would change; write nothing (no key is needed)")
	addKeyPolicyFlag(cmd.Flags(), &o.AllowKeyEndpoints)
	return cmd
}
