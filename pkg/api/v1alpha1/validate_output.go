package v1alpha1

import (
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

func validateReverse(fs *diag.Findings, spec ClusterPairRequestSpec) {
	const field = "spec.reverse"
	r := spec.Reverse
	if r.Name != "" {
		checkObjectName(fs, field+".name", r.Name)
	}
	validateKubeconfig(fs, field+".kubeconfig", r.Kubeconfig)
	switch {
	case spec.Storage != nil && r.Storage == nil:
		fs.Errorf(field+".storage", "is required because spec.storage is set: the reverse pair needs the source cluster's Portworx endpoint and token")
	case spec.Storage == nil && r.Storage != nil:
		fs.Errorf(field+".storage", "must be omitted because spec.storage is: both directions pair storage, or neither does")
	case r.Storage != nil:
		validateStorage(fs, field+".storage", "the source cluster's", *r.Storage)
		if r.Storage.Token.File == spec.Storage.Token.File && r.Storage.Token.Key == spec.Storage.Token.Key && r.Storage.Token.File != "" {
			fs.Errorf(field+".storage.token", "references the same token as spec.storage.token: each direction needs the token of the cluster it pairs with")
		}
	}
	if r.Kubeconfig.File == spec.Destination.Kubeconfig.File && r.Kubeconfig.Key == spec.Destination.Kubeconfig.Key && r.Kubeconfig.Context == spec.Destination.Kubeconfig.Context && r.Kubeconfig.File != "" {
		fs.Errorf(field+".kubeconfig", "references the same kubeconfig and context as spec.destination.kubeconfig: the reverse pair must reach the source cluster")
	}
	if r.Output != nil {
		validateOutput(fs, field+".output", *r.Output)
	}
	if o := spec.Output; o != nil && o.File != "" && (r.Output == nil || r.Output.File == o.File) {
		fs.Errorf(field+".output.file", "must name a file of its own: spec.output.file %q holds the source side's rendering, and each side is committed separately", o.File)
	}
}

func validateOutput(fs *diag.Findings, field string, o Output) {
	if o.Plaintext != "" && o.Plaintext != PlaintextAllow {
		fs.Errorf(field+".plaintext", "%q is not supported: the only value is %q", o.Plaintext, PlaintextAllow)
	}
	if o.Plaintext == PlaintextAllow && o.Encrypt != nil {
		fs.Errorf(field+".plaintext", "contradicts output.encrypt: choose one")
	}
	if o.File != "" {
		if msg := CheckRelativePath(o.File); msg != "" {
			fs.Errorf(field+".file", "%q %s", o.File, msg)
		}
		if o.Encrypt == nil {
			fs.Errorf(field+".file", "only applies to encrypted output (set output.encrypt)")
		}
	}
	if e := o.Encrypt; e != nil {
		validateEncryption(fs, field+".encrypt", *e)
	}
}

func validateEncryption(fs *diag.Findings, field string, e Encryption) {
	direct := !e.Recipients.isEmpty()
	switch {
	case direct && len(e.KeyGroups) > 0:
		fs.Errorf(field+".keyGroups", "cannot be combined with recipients at the top of encrypt: put every key in a group")
	case !direct && len(e.KeyGroups) == 0:
		fs.Errorf(field, "lists no recipient: give age, pgp, awsKms, gcpKms, azureKeyVault or hcVaultTransit keys, or keyGroups")
	}
	if direct {
		validateRecipients(fs, field, e.Recipients)
	}
	for i, g := range e.KeyGroups {
		gf := field + ".keyGroups[" + itoa(i) + "]"
		if g.isEmpty() {
			fs.Errorf(gf, "is empty")
		}
		validateRecipients(fs, gf, g)
	}
	if groups := max(len(e.KeyGroups), 1); e.ShamirThreshold != 0 && (e.ShamirThreshold < 2 || e.ShamirThreshold > groups) {
		fs.Errorf(field+".shamirThreshold", "%d must be between 2 and the number of key groups (%d); omit it to require every group", e.ShamirThreshold, groups)
	}
}

func validateRecipients(fs *diag.Findings, field string, r Recipients) {
	for i, a := range r.Age {
		if !strings.HasPrefix(a, "age1") || strings.ContainsAny(a, " ,\t\n") {
			fs.Errorf(field+".age["+itoa(i)+"]", "%q is not an age recipient (age1...; an SSH public key is not supported here)", a)
		}
	}
	for i, p := range r.PGP {
		clean := strings.ReplaceAll(p, " ", "")
		if len(clean) < 16 || strings.Trim(strings.ToUpper(clean), "0123456789ABCDEF") != "" {
			fs.Errorf(field+".pgp["+itoa(i)+"]", "%q is not a PGP fingerprint (hex digits)", p)
		}
	}
	for i, k := range r.AWSKMS {
		if !strings.HasPrefix(k.ARN, "arn:aws") || strings.Count(k.ARN, ":") < 5 {
			fs.Errorf(field+".awsKms["+itoa(i)+"].arn", "%q is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", k.ARN)
		}
	}
	for i, id := range r.GCPKMS {
		if !strings.HasPrefix(id, "projects/") || !strings.Contains(id, "/cryptoKeys/") {
			fs.Errorf(field+".gcpKms["+itoa(i)+"]", "%q is not a Cloud KMS key resource ID (projects/P/locations/L/keyRings/R/cryptoKeys/K)", id)
		}
	}
	for i, u := range r.AzureKeyVault {
		if !strings.HasPrefix(u, "https://") || !strings.Contains(u, "/keys/") {
			fs.Errorf(field+".azureKeyVault["+itoa(i)+"]", "%q is not a Key Vault key URL (https://VAULT.vault.azure.net/keys/NAME[/VERSION])", u)
		}
	}
	for i, u := range r.HCVaultTransit {
		if !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) || !strings.Contains(u, "/keys/") {
			fs.Errorf(field+".hcVaultTransit["+itoa(i)+"]", "%q is not a Vault transit key URI (https://vault:8200/v1/transit/keys/NAME)", u)
		}
	}
}

func (r Recipients) isEmpty() bool {
	return len(r.Age)+len(r.PGP)+len(r.AWSKMS)+len(r.GCPKMS)+len(r.AzureKeyVault)+len(r.HCVaultTransit) == 0
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
