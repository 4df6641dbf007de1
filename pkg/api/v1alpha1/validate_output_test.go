package v1alpha1

import (
	"strings"
	"testing"
)

// Recipients that Validate accepts, one of each kind.
const (
	ageRecipient   = "age1snz59ekfa09wkfehw60xme7ztqtx758arxz202lcu67uhr55yq2s9u4l5c"
	ageRecipient2  = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	pgpFingerprint = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"
	awsKMSARN      = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	gcpKMSKey      = "projects/dr/locations/global/keyRings/sops/cryptoKeys/clusterpair"
	azureKVKey     = "https://dr-vault.vault.azure.net/keys/sops/0123456789abcdef"
	vaultKey       = "https://vault.example.com:8200/v1/sops/keys/clusterpair"
)

// withReverse returns validRequest with a valid reverse pair.
func withReverse() *ClusterPairRequest {
	r := validRequest()
	r.Spec.Reverse = &Reverse{
		Kubeconfig: KubeconfigSource{SecretRef: SecretRef{File: "source-kubeconfig.yaml"}},
		Storage: &Storage{
			IP:    "px-api.east.example.com",
			Port:  9001,
			Token: SecretRef{File: "source-token.enc"},
		},
	}
	return r
}

func TestValidateReverse(t *testing.T) {
	const rev = "spec.reverse"
	tests := []struct {
		name   string
		mutate func(r *ClusterPairRequest)
		want   []expect
	}{
		{"valid", func(r *ClusterPairRequest) {}, nil},
		{"name", func(r *ClusterPairRequest) { r.Spec.Reverse.Name = "dr-east" }, nil},
		{"name not DNS-1123", func(r *ClusterPairRequest) { r.Spec.Reverse.Name = "DR_East" },
			[]expect{errorOn(rev+".name", `"DR_East" is not a valid object name: a lowercase RFC 1123 subdomain`)}},

		// kubeconfig: the rules of spec.destination.kubeconfig
		{"kubeconfig file missing", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.File = "" },
			[]expect{errorOn(rev+".kubeconfig.file", "is required: the path of a SOPS-encrypted file")}},
		{"kubeconfig file escapes", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.File = "../source.yaml" },
			[]expect{errorOn(rev+".kubeconfig.file", "escapes the directory of the request")}},
		{"kubeconfig bad format", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.Format = "kubeconfig" },
			[]expect{errorOn(rev+".kubeconfig.format", `"kubeconfig" is not supported`)}},
		{"kubeconfig key empty segment", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.Key = "east." },
			[]expect{errorOn(rev+".kubeconfig.key", "has an empty segment")}},
		{"kubeconfig allowUnencrypted", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.AllowUnencrypted = true },
			[]expect{warnOn(rev+".kubeconfig.allowUnencrypted", `a plaintext "source-kubeconfig.yaml" is accepted`)}},
		{"kubeconfig server", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.Server = "https://api.east.example.com:6443" }, nil},
		{"kubeconfig server without scheme", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.Server = "api.east.example.com" },
			[]expect{errorOn(rev+".kubeconfig.server", "must be an https:// URL")}},

		// each side commits its encrypted output to a file of its own
		{"output file shared with the destination side", func(r *ClusterPairRequest) {
			r.Spec.Output = &Output{File: "rendered/source.yaml", Encrypt: &Encryption{Recipients: Recipients{Age: []string{"age1abc"}}}}
		}, []expect{errorOn(rev+".output.file", `must name a file of its own: spec.output.file "rendered/source.yaml"`)}},
		{"output files per side", func(r *ClusterPairRequest) {
			enc := &Encryption{Recipients: Recipients{Age: []string{"age1abc"}}}
			r.Spec.Output = &Output{File: "rendered/source.yaml", Encrypt: enc}
			r.Spec.Reverse.Output = &Output{File: "rendered/destination.yaml", Encrypt: enc}
		}, nil},
		// the same kubeconfig as the forward direction
		{"same kubeconfig as the destination", func(r *ClusterPairRequest) { r.Spec.Reverse.Kubeconfig.File = "kubeconfig.yaml" },
			[]expect{errorOn(rev+".kubeconfig", "references the same kubeconfig and context as spec.destination.kubeconfig: the reverse pair must reach the source cluster")}},
		{"same file and key", func(r *ClusterPairRequest) {
			r.Spec.Destination.Kubeconfig.SecretRef = SecretRef{File: "secrets.yaml", Key: "west"}
			r.Spec.Reverse.Kubeconfig.SecretRef = SecretRef{File: "secrets.yaml", Key: "west"}
		}, []expect{errorOn(rev+".kubeconfig", "references the same kubeconfig and context")}},
		{"same file and context", func(r *ClusterPairRequest) {
			r.Spec.Destination.Kubeconfig = KubeconfigSource{SecretRef: SecretRef{File: "both.yaml"}, Context: "west"}
			r.Spec.Reverse.Kubeconfig = KubeconfigSource{SecretRef: SecretRef{File: "both.yaml"}, Context: "west"}
		}, []expect{errorOn(rev+".kubeconfig", "references the same kubeconfig and context")}},
		{"same file, other key", func(r *ClusterPairRequest) {
			r.Spec.Destination.Kubeconfig.SecretRef = SecretRef{File: "secrets.yaml", Key: "west"}
			r.Spec.Reverse.Kubeconfig.SecretRef = SecretRef{File: "secrets.yaml", Key: "east"}
		}, nil},
		{"same file, other context", func(r *ClusterPairRequest) {
			r.Spec.Destination.Kubeconfig = KubeconfigSource{SecretRef: SecretRef{File: "both.yaml"}, Context: "west"}
			r.Spec.Reverse.Kubeconfig = KubeconfigSource{SecretRef: SecretRef{File: "both.yaml"}, Context: "east"}
		}, nil},

		// storage: required or forbidden like spec.storage
		{"storage missing although spec.storage is set", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage = nil },
			[]expect{errorOn(rev+".storage", "is required because spec.storage is set: the reverse pair needs the source cluster's Portworx endpoint and token")}},
		{"storage set although spec.storage is not", func(r *ClusterPairRequest) { r.Spec.Mode, r.Spec.Storage = ModeSyncDR, nil },
			[]expect{errorOn(rev+".storage", "must be omitted because spec.storage is: both directions pair storage, or neither does")}},
		{"sync-dr without storage on either side", func(r *ClusterPairRequest) {
			r.Spec.Mode, r.Spec.Storage, r.Spec.Reverse.Storage = ModeSyncDR, nil, nil
		}, nil},
		{"storage ip missing", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage.IP = "" },
			[]expect{errorOn(rev+".storage.ip", "is required: the source cluster's Portworx API host")}},
		{"storage ip with a port points at the reverse port", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage.IP = "10.0.0.5:9021" },
			[]expect{errorOn(rev+".storage.ip", `"10.0.0.5:9021" must not include a port: set spec.reverse.storage.port: 9021 and ip: 10.0.0.5`)}},
		{"storage ip bracketed with a port", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage.IP = "[fd00::5]:9021" },
			[]expect{errorOn(rev+".storage.ip", "set spec.reverse.storage.port: 9021 and ip: fd00::5")}},
		{"storage port out of range", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage.Port = 70000 },
			[]expect{errorOn(rev+".storage.port", "70000 is out of range 1-65535")}},
		{"storage token file missing", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage.Token = SecretRef{} },
			[]expect{errorOn(rev+".storage.token.file", "is required")}},
		{"storage token allowUnencrypted", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage.Token.AllowUnencrypted = true },
			[]expect{warnOn(rev+".storage.token.allowUnencrypted", "is true")}},

		// the same token as the forward direction
		{"same token", func(r *ClusterPairRequest) { r.Spec.Reverse.Storage.Token.File = "px-token.enc" },
			[]expect{errorOn(rev+".storage.token", "references the same token as spec.storage.token: each direction needs the token of the cluster it pairs with")}},
		{"same token file and key", func(r *ClusterPairRequest) {
			r.Spec.Storage.Token = SecretRef{File: "px.env", Key: "PX_TOKEN"}
			r.Spec.Reverse.Storage.Token = SecretRef{File: "px.env", Key: "PX_TOKEN"}
		}, []expect{errorOn(rev+".storage.token", "references the same token")}},
		{"same token file, other key", func(r *ClusterPairRequest) {
			r.Spec.Storage.Token = SecretRef{File: "px.env", Key: "WEST_TOKEN"}
			r.Spec.Reverse.Storage.Token = SecretRef{File: "px.env", Key: "EAST_TOKEN"}
		}, nil},

		// output: the rules of spec.output, under spec.reverse.output
		{"output", func(r *ClusterPairRequest) {
			r.Spec.Reverse.Output = &Output{Encrypt: &Encryption{Recipients: Recipients{Age: []string{ageRecipient2}}}, File: "east/clusterpair.yaml"}
		}, nil},
		{"output plaintext", func(r *ClusterPairRequest) { r.Spec.Reverse.Output = &Output{Plaintext: "yes"} },
			[]expect{errorOn(rev+".output.plaintext", `"yes" is not supported: the only value is "allow"`)}},
		{"output recipient", func(r *ClusterPairRequest) {
			r.Spec.Reverse.Output = &Output{Encrypt: &Encryption{KeyGroups: []Recipients{{Age: []string{ageRecipient}}, {PGP: []string{"nope"}}}}}
		}, []expect{errorOn(rev+".output.encrypt.keyGroups[1].pgp[0]", `"nope" is not a PGP fingerprint`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := withReverse()
			tt.mutate(r)
			checkFindings(t, r.Validate(), tt.want)
		})
	}
}

// Every output rule, under spec.output (spec.reverse.output shares the code;
// TestValidateReverse checks that its findings carry its own path).
func TestValidateOutput(t *testing.T) {
	const (
		out = "spec.output"
		enc = out + ".encrypt"
	)
	direct := func(r Recipients) *Encryption { return &Encryption{Recipients: r} }
	age := direct(Recipients{Age: []string{ageRecipient}})
	groups := func(gs ...Recipients) *Encryption { return &Encryption{KeyGroups: gs} }
	tests := []struct {
		name string
		out  Output
		want []expect
	}{
		{"empty", Output{}, nil},

		// plaintext
		{"plaintext allow", Output{Plaintext: "allow"}, nil},
		{"plaintext true", Output{Plaintext: "true"},
			[]expect{errorOn(out+".plaintext", `"true" is not supported: the only value is "allow"`)}},
		{"plaintext is case-sensitive", Output{Plaintext: "Allow"},
			[]expect{errorOn(out+".plaintext", `"Allow" is not supported`)}},
		{"plaintext and encrypt", Output{Plaintext: "allow", Encrypt: age},
			[]expect{errorOn(out+".plaintext", "contradicts output.encrypt: choose one")}},

		// file
		{"file with encrypt", Output{Encrypt: age, File: "rendered/clusterpair.yaml"}, nil},
		{"file without encrypt", Output{File: "rendered/clusterpair.yaml"},
			[]expect{errorOn(out+".file", "only applies to encrypted output (set output.encrypt)")}},
		{"file with plaintext allow", Output{Plaintext: "allow", File: "rendered.yaml"},
			[]expect{errorOn(out+".file", "only applies to encrypted output")}},
		{"file escapes", Output{Encrypt: age, File: "../rendered/clusterpair.yaml"},
			[]expect{errorOn(out+".file", `"../rendered/clusterpair.yaml" escapes the directory of the request`)}},
		{"file escapes after cleaning", Output{Encrypt: age, File: "rendered/../../x.yaml"},
			[]expect{errorOn(out+".file", "escapes the directory of the request")}},
		{"file absolute", Output{Encrypt: age, File: "/tmp/clusterpair.yaml"},
			[]expect{errorOn(out+".file", "must be relative to the directory of the request, not absolute")}},
		{"file is a directory", Output{Encrypt: age, File: "rendered/.."},
			[]expect{errorOn(out+".file", "names a directory, not a file")}},
		{"file with backslashes", Output{Encrypt: age, File: `rendered\cp.yaml`},
			[]expect{errorOn(out+".file", "must use forward slashes")}},
		{"file escapes, without encrypt: both", Output{File: "../x.yaml"},
			[]expect{
				errorOn(out+".file", "escapes the directory of the request"),
				errorOn(out+".file", "only applies to encrypted output"),
			}},

		// recipients, every kind
		{"every kind of recipient", Output{Encrypt: direct(Recipients{
			Age:            []string{ageRecipient, ageRecipient2},
			PGP:            []string{pgpFingerprint, "FBC7 B9E2 A4F9 289A C0C1  D484 3D16 CEE4 A273 81B4", "3D16CEE4A27381B4"},
			AWSKMS:         []AWSKMSKey{{ARN: awsKMSARN, Role: "arn:aws:iam::111122223333:role/sops", Context: map[string]string{"pair": "dr-west"}}, {ARN: "arn:aws-us-gov:kms:us-gov-west-1:1:key/x"}},
			GCPKMS:         []string{gcpKMSKey},
			AzureKeyVault:  []string{azureKVKey, "https://dr-vault.vault.azure.net/keys/sops"},
			HCVaultTransit: []string{vaultKey, "http://127.0.0.1:8200/v1/transit/keys/sops"},
		})}, nil},
		{"age not a recipient", Output{Encrypt: direct(Recipients{Age: []string{ageRecipient, "AGE1ABC"}})},
			[]expect{errorOn(enc+".age[1]", `"AGE1ABC" is not an age recipient (age1...; an SSH public key is not supported here)`)}},
		{"age SSH key", Output{Encrypt: direct(Recipients{Age: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA"}})},
			[]expect{errorOn(enc+".age[0]", "is not an age recipient")}},
		{"age comma-separated list", Output{Encrypt: direct(Recipients{Age: []string{ageRecipient + "," + ageRecipient2}})},
			[]expect{errorOn(enc+".age[0]", "is not an age recipient")}},
		{"age with whitespace", Output{Encrypt: direct(Recipients{Age: []string{ageRecipient + " "}})},
			[]expect{errorOn(enc+".age[0]", "is not an age recipient")}},
		{"pgp too short", Output{Encrypt: direct(Recipients{PGP: []string{"A27381B4"}})},
			[]expect{errorOn(enc+".pgp[0]", `"A27381B4" is not a PGP fingerprint (hex digits)`)}},
		{"pgp not hex", Output{Encrypt: direct(Recipients{PGP: []string{"ops@example.com-0000000"}})},
			[]expect{errorOn(enc+".pgp[0]", "is not a PGP fingerprint")}},
		{"awsKms alias", Output{Encrypt: direct(Recipients{AWSKMS: []AWSKMSKey{{ARN: awsKMSARN}, {ARN: "alias/sops"}}})},
			[]expect{errorOn(enc+".awsKms[1].arn", `"alias/sops" is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)`)}},
		{"awsKms truncated ARN", Output{Encrypt: direct(Recipients{AWSKMS: []AWSKMSKey{{ARN: "arn:aws:kms:eu-west-1:key/x"}}})},
			[]expect{errorOn(enc+".awsKms[0].arn", "is not a KMS key ARN")}},
		{"awsKms without ARN", Output{Encrypt: direct(Recipients{AWSKMS: []AWSKMSKey{{Profile: "dr"}}})},
			[]expect{errorOn(enc+".awsKms[0].arn", `"" is not a KMS key ARN`)}},
		{"gcpKms key ring only", Output{Encrypt: direct(Recipients{GCPKMS: []string{"projects/dr/locations/global/keyRings/sops"}})},
			[]expect{errorOn(enc+".gcpKms[0]", "is not a Cloud KMS key resource ID (projects/P/locations/L/keyRings/R/cryptoKeys/K)")}},
		{"gcpKms short form", Output{Encrypt: direct(Recipients{GCPKMS: []string{"dr/sops/clusterpair"}})},
			[]expect{errorOn(enc+".gcpKms[0]", "is not a Cloud KMS key resource ID")}},
		{"azureKeyVault over http", Output{Encrypt: direct(Recipients{AzureKeyVault: []string{"http://dr-vault.vault.azure.net/keys/sops"}})},
			[]expect{errorOn(enc+".azureKeyVault[0]", "is not a Key Vault key URL (https://VAULT.vault.azure.net/keys/NAME[/VERSION])")}},
		{"azureKeyVault secret URL", Output{Encrypt: direct(Recipients{AzureKeyVault: []string{"https://dr-vault.vault.azure.net/secrets/sops"}})},
			[]expect{errorOn(enc+".azureKeyVault[0]", "is not a Key Vault key URL")}},
		{"hcVaultTransit without scheme", Output{Encrypt: direct(Recipients{HCVaultTransit: []string{"vault:8200/v1/sops/keys/k"}})},
			[]expect{errorOn(enc+".hcVaultTransit[0]", "is not a Vault transit key URI (https://vault:8200/v1/transit/keys/NAME)")}},
		{"hcVaultTransit not a key", Output{Encrypt: direct(Recipients{HCVaultTransit: []string{"https://vault:8200/v1/transit/sops"}})},
			[]expect{errorOn(enc+".hcVaultTransit[0]", "is not a Vault transit key URI")}},
		{"every malformed recipient is reported", Output{Encrypt: direct(Recipients{
			Age: []string{"x"}, PGP: []string{"y"}, AWSKMS: []AWSKMSKey{{ARN: "z"}},
			GCPKMS: []string{"g"}, AzureKeyVault: []string{"a"}, HCVaultTransit: []string{"h"},
		})}, []expect{
			errorOn(enc+".age[0]", "is not an age recipient"),
			errorOn(enc+".pgp[0]", "is not a PGP fingerprint"),
			errorOn(enc+".awsKms[0].arn", "is not a KMS key ARN"),
			errorOn(enc+".gcpKms[0]", "is not a Cloud KMS key resource ID"),
			errorOn(enc+".azureKeyVault[0]", "is not a Key Vault key URL"),
			errorOn(enc+".hcVaultTransit[0]", "is not a Vault transit key URI"),
		}},

		// no recipient, key groups
		{"no recipient", Output{Encrypt: &Encryption{}},
			[]expect{errorOn(enc, "lists no recipient: give age, pgp, awsKms, gcpKms, azureKeyVault or hcVaultTransit keys, or keyGroups")}},
		{"key groups", Output{Encrypt: groups(Recipients{Age: []string{ageRecipient}}, Recipients{AWSKMS: []AWSKMSKey{{ARN: awsKMSARN}}, GCPKMS: []string{gcpKMSKey}})}, nil},
		{"key groups with recipients at the top", Output{Encrypt: &Encryption{
			Recipients: Recipients{Age: []string{ageRecipient}},
			KeyGroups:  []Recipients{{Age: []string{ageRecipient2}}},
		}}, []expect{errorOn(enc+".keyGroups", "cannot be combined with recipients at the top of encrypt: put every key in a group")}},
		{"empty key group", Output{Encrypt: groups(Recipients{Age: []string{ageRecipient}}, Recipients{})},
			[]expect{errorOn(enc+".keyGroups[1]", "is empty")}},
		{"only an empty key group", Output{Encrypt: groups(Recipients{})},
			[]expect{errorOn(enc+".keyGroups[0]", "is empty")}},
		{"malformed recipient in a group", Output{Encrypt: groups(Recipients{Age: []string{ageRecipient}}, Recipients{Age: []string{ageRecipient2, "age2x"}})},
			[]expect{errorOn(enc+".keyGroups[1].age[1]", `"age2x" is not an age recipient`)}},
		{"malformed KMS ARN in a group", Output{Encrypt: groups(Recipients{AWSKMS: []AWSKMSKey{{ARN: "key/1"}}})},
			[]expect{errorOn(enc+".keyGroups[0].awsKms[0].arn", "is not a KMS key ARN")}},
		{"group index past 9", Output{Encrypt: groups(append(repeatGroups(10), Recipients{PGP: []string{"zz"}})...)},
			[]expect{errorOn(enc+".keyGroups[10].pgp[0]", "is not a PGP fingerprint")}},

		// shamirThreshold
		{"threshold 2 of 2", Output{Encrypt: withThreshold(groups(repeatGroups(2)...), 2)}, nil},
		{"threshold 2 of 3", Output{Encrypt: withThreshold(groups(repeatGroups(3)...), 2)}, nil},
		{"threshold 3 of 3", Output{Encrypt: withThreshold(groups(repeatGroups(3)...), 3)}, nil},
		{"threshold 1", Output{Encrypt: withThreshold(groups(repeatGroups(2)...), 1)},
			[]expect{errorOn(enc+".shamirThreshold", "1 must be between 2 and the number of key groups (2); omit it to require every group")}},
		{"threshold above the number of groups", Output{Encrypt: withThreshold(groups(repeatGroups(2)...), 3)},
			[]expect{errorOn(enc+".shamirThreshold", "3 must be between 2 and the number of key groups (2)")}},
		{"threshold negative", Output{Encrypt: withThreshold(groups(repeatGroups(2)...), -1)},
			[]expect{errorOn(enc+".shamirThreshold", "-1 must be between 2 and the number of key groups")}},
		{"threshold with one group", Output{Encrypt: withThreshold(groups(repeatGroups(1)...), 2)},
			[]expect{errorOn(enc+".shamirThreshold", "2 must be between 2 and the number of key groups (1)")}},
		{"threshold with direct recipients (one group)", Output{Encrypt: withThreshold(direct(Recipients{Age: []string{ageRecipient, ageRecipient2}}), 2)},
			[]expect{errorOn(enc+".shamirThreshold", "the number of key groups (1)")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			o := tt.out
			r.Spec.Output = &o
			checkFindings(t, r.Validate(), tt.want)
		})
	}
}

// repeatGroups returns n valid key groups.
func repeatGroups(n int) []Recipients {
	out := make([]Recipients, n)
	for i := range out {
		out[i] = Recipients{Age: []string{ageRecipient}}
	}
	return out
}

func withThreshold(e *Encryption, n int) *Encryption {
	e.ShamirThreshold = n
	return e
}

// The reverse output is checked on its own: a valid spec.output does not
// excuse it, and its findings never land on spec.output.
func TestValidateOutputBothSides(t *testing.T) {
	r := withReverse()
	r.Spec.Output = &Output{Encrypt: &Encryption{Recipients: Recipients{Age: []string{ageRecipient}}}, File: "west.yaml"}
	r.Spec.Reverse.Output = &Output{File: "east.yaml"}
	checkFindings(t, r.Validate(), []expect{errorOn("spec.reverse.output.file", "only applies to encrypted output")})

	r.Spec.Output.Plaintext = "allow"
	r.Spec.Reverse.Output = &Output{Plaintext: "allow"}
	got := r.Validate()
	checkFindings(t, got, []expect{errorOn("spec.output.plaintext", "contradicts output.encrypt")})
	for _, f := range got {
		if strings.HasPrefix(f.Field, "spec.reverse") {
			t.Errorf("finding on the reverse side: %v", f)
		}
	}
}
