package v1alpha1

import (
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

const (
	// DefaultCredentialExpiryWarning is spec.credentialExpiryWarning when
	// omitted: warn 30 days before the destination credential expires.
	DefaultCredentialExpiryWarning = "720h"
	// MaxCredentialExpiryWarning bounds spec.credentialExpiryWarning: a
	// window longer than about two years would warn about every certificate.
	MaxCredentialExpiryWarning = 2 * 366 * 24 * time.Hour
)

// ExpiryWarningWindow returns spec.credentialExpiryWarning as a duration:
// the default when it is empty or invalid (Validate reports it then).
func (s ClusterPairRequestSpec) ExpiryWarningWindow() time.Duration {
	v := s.CredentialExpiryWarning
	if v == "" {
		v = DefaultCredentialExpiryWarning
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > MaxCredentialExpiryWarning {
		d, _ = time.ParseDuration(DefaultCredentialExpiryWarning)
	}
	return d
}

func validateExpiryWarning(fs *diag.Findings, v string) {
	const field = "spec.credentialExpiryWarning"
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		fs.Errorf(field, "%q is not a duration: use hours, e.g. 720h for 30 days (0 turns the warning off)", v)
	case d < 0:
		fs.Errorf(field, "%q is negative: use 0 to turn the warning off", v)
	case d > MaxCredentialExpiryWarning:
		fs.Errorf(field, "%q is longer than %s", v, MaxCredentialExpiryWarning)
	}
}
