package sopslean

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	sopslogging "github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// Decryptor decrypts, in the lean build, SOPS files with sops's own age
// and PGP key sources (the same environment variables and files as the sops
// CLI) and package sopsfile's reader, without linking the cloud KMS SDKs.
// A file whose keys only the full library can use is decrypted by its
// clusterpair-fn-full co-process (see handover.go), under this decryptor's
// KeyPolicy and tenant keys.
//
// Its KeyPolicy decides before any hand-over: a file whose network keys the
// policy allows none of fails here, with secrets.ReasonKeyNotAllowed, and
// the full build is never started for it.
type Decryptor struct {
	lean   *sopsfile.Decryptor
	policy secrets.KeyPolicy
	// tenant, when set, holds the only keys lean decrypts with.
	tenant *secrets.TenantKeys
	// full is the co-process, shared by the copies of this decryptor and
	// its Encryptor.
	full *coprocess
}

// NewDecryptor returns the lean decryptor. sops's own logging (its age
// and PGP key sources log) is limited to errors, as in the full build.
func NewDecryptor() *Decryptor {
	sopslogging.SetLevel(logrus.ErrorLevel)
	return &Decryptor{lean: sopsfile.NewDecryptor(), full: &coprocess{}}
}

// WithFullCommand returns a copy of the decryptor whose co-process is argv
// (a program that runs Serve), instead of clusterpair-fn-full found next to
// this binary or on PATH.
func (d *Decryptor) WithFullCommand(argv ...string) *Decryptor {
	c := *d
	c.full = &coprocess{argv: argv}
	return &c
}

// Encryptor returns the encryptor that shares the decryptor's co-process.
func (d *Decryptor) Encryptor() Encryptor { return Encryptor{full: d.full} }

// Close ends the co-process, if one was started.
func (d *Decryptor) Close() error { return d.full.close() }

// WithKeyPolicy returns a copy of the decryptor that uses the network key
// sources p allows: it hands a file over to the full build only when p
// allows one of its network keys. Encryption in the same run follows the
// same policy (see secrets.PolicyOf).
func (d *Decryptor) WithKeyPolicy(p secrets.KeyPolicy) *Decryptor {
	c := *d
	c.policy = p
	return &c
}

// WithTenantKeys returns a copy of the decryptor that decrypts with the
// tenant's keys only (see secrets.TenantKeys); nil keeps the environment's
// key sources. The error says the keys are unusable, never what they hold.
func (d *Decryptor) WithTenantKeys(k *secrets.TenantKeys) (*Decryptor, error) {
	c := *d
	c.tenant = k
	if k == nil {
		c.lean = sopsfile.NewDecryptor()
		return &c, nil
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	lean, err := sopsfile.NewTenantDecryptor(k.AgeIdentities, k.GnuPGHome)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", k.Tenant, err)
	}
	c.lean = lean
	return &c, nil
}

// TenantKeys returns the tenant whose keys the decryptor uses (nil: the
// environment's).
func (d *Decryptor) TenantKeys() *secrets.TenantKeys { return d.tenant }

// KeyPolicy returns the decryptor's policy.
func (d *Decryptor) KeyPolicy() secrets.KeyPolicy { return d.policy }

// Decrypt implements secrets.Decryptor.
func (d *Decryptor) Decrypt(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	doc, err := d.lean.Decrypt(data, sopsfile.Format(format))
	if errors.Is(err, sopsfile.ErrNeedsFullSOPS) {
		if denied := d.deniedAll(data, format); denied != nil {
			return nil, secrets.NotAllowedError(file, denied)
		}
		return d.handOver(file, data, format)
	}
	if err != nil {
		return nil, leanError(file, data, format, d.tenant, err)
	}
	return secrets.NewDocument(format, doc.Branches, doc.Plaintext), nil
}

// Parse implements secrets.Decryptor.
func (d *Decryptor) Parse(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	return secrets.ParsePlaintext(file, data, format)
}

// handOver decrypts a file with the co-process, under this decryptor's
// policy and tenant keys, and parses the plaintext it prints.
func (d *Decryptor) handOver(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	resp, err := d.full.call(request{Op: "decrypt", File: file, Data: data, Format: format, Policy: d.policy.Entries(), Tenant: d.tenant})
	if err != nil {
		return nil, secrets.NewError(file, secrets.ReasonNeedsFull, "its keys need a key source of the full sops library: %s", err)
	}
	if err := resp.err(); err != nil {
		return nil, err
	}
	return d.Parse(file, resp.Data, format)
}

// deniedAll returns the file's network keys when the policy allows none of
// them, and nil when it allows at least one (the full build, which filters
// the keys again, is then asked).
func (d *Decryptor) deniedAll(data []byte, format secrets.Format) []secrets.RemoteKey {
	md, err := sopsfile.ReadMetadata(data, sopsfile.Format(format))
	if err != nil {
		return nil
	}
	var remote []secrets.RemoteKey
	for _, g := range md.KeyGroups {
		for _, k := range g.Remote {
			rk := secrets.RemoteKey{Kind: k.Kind, Endpoint: k.Endpoint, ID: k.ID, EnginePath: k.EnginePath, Version: k.Version, Role: k.Role, Profile: k.Profile}
			if d.policy.Allows(rk) {
				return nil
			}
			remote = append(remote, rk)
		}
	}
	return d.policy.Denied(remote)
}

// leanError gives sopsfile's failures the reasons and wording of the full
// decryptor.
func leanError(file string, data []byte, format secrets.Format, tenant *secrets.TenantKeys, err error) error {
	keys := "none listed"
	var e *sopsfile.Error
	if errors.As(err, &e) && len(e.Keys) > 0 {
		keys = strings.Join(redactKeyIDs(e.Keys), ", ")
	}
	// The same classification as the full decryptor: a binary file is sops
	// JSON, so one without a "sops" key is plaintext, unless it holds
	// encrypted values (an encrypted file cut before its metadata).
	noMetadata := errors.Is(err, sopsfile.ErrNotEncrypted) || format == secrets.FormatBinary && !bytes.Contains(data, []byte(`"sops"`))
	switch {
	case noMetadata && bytes.Contains(data, []byte("ENC[AES256_GCM,")):
		return secrets.NewError(file, secrets.ReasonMalformed, "has SOPS-encrypted values but no sops metadata (truncated?)")
	case noMetadata:
		return secrets.NewError(file, secrets.ReasonPlaintext, "is not SOPS-encrypted")
	case errors.Is(err, sopsfile.ErrTooMany):
		return secrets.NewError(file, secrets.ReasonTooLarge, "%s", detailOf(err))
	case errors.Is(err, sopsfile.ErrNoKey):
		return secrets.NoKeyError(file, tenant, keys)
	case errors.Is(err, sopsfile.ErrTampered):
		return secrets.NewError(file, secrets.ReasonTampered, "the file was modified after encryption (%s)", detailOf(err))
	default:
		return secrets.NewError(file, secrets.ReasonMalformed, "is not a valid SOPS-encrypted %s file (truncated or corrupted?)%s", format, leanLine(err))
	}
}

func leanLine(err error) string {
	var e *sopsfile.Error
	if errors.As(err, &e) && e.Line > 0 {
		return fmt.Sprintf(" (near line %d)", e.Line)
	}
	return ""
}

func detailOf(err error) string {
	var e *sopsfile.Error
	if errors.As(err, &e) && e.Detail != "" {
		return e.Detail
	}
	return "integrity check failed"
}

// redactKeyIDs rewrites "TYPE ID" key descriptions so that the URL of a
// Vault or Key Vault key keeps its scheme, host and port only.
func redactKeyIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		kind, rest, _ := strings.Cut(id, " ")
		if kind == secrets.KindVault || kind == secrets.KindAzureKV {
			id = kind + " " + diag.RedactURL(rest)
		}
		out[i] = id
	}
	return out
}
