package v1alpha1

import (
	"testing"
	"time"
)

func TestValidateCredentialExpiryWarning(t *testing.T) {
	const field = "spec.credentialExpiryWarning"
	for _, tc := range []struct {
		value string
		want  []expect
	}{
		{value: ""},
		{value: "720h"},
		{value: "0"},
		{value: "90m"},
		{value: "17568h"},
		{value: "30d", want: []expect{errorOn(field, `"30d" is not a duration: use hours`)}},
		{value: "-1h", want: []expect{errorOn(field, "is negative")}},
		{value: "17569h", want: []expect{errorOn(field, "is longer than")}},
	} {
		t.Run(tc.value, func(t *testing.T) {
			r := validRequest()
			r.Spec.CredentialExpiryWarning = tc.value
			checkFindings(t, r.Validate(), tc.want)
		})
	}
}

func TestExpiryWarningWindow(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
	}{
		{"", 720 * time.Hour},
		{"0", 0},
		{"48h", 48 * time.Hour},
		{"nonsense", 720 * time.Hour},
		{"-5h", 720 * time.Hour},
	} {
		s := ClusterPairRequestSpec{CredentialExpiryWarning: tc.value}
		if got := s.ExpiryWarningWindow(); got != tc.want {
			t.Errorf("ExpiryWarningWindow(%q) = %s, want %s", tc.value, got, tc.want)
		}
	}
}

func TestDefaultCredentialExpiryWarning(t *testing.T) {
	r := validRequest()
	r.Default()
	if r.Spec.CredentialExpiryWarning != DefaultCredentialExpiryWarning {
		t.Errorf("default = %q, want %q", r.Spec.CredentialExpiryWarning, DefaultCredentialExpiryWarning)
	}
	r.Spec.CredentialExpiryWarning = "0"
	r.Default()
	if r.Spec.CredentialExpiryWarning != "0" {
		t.Errorf("Default replaced an explicit 0 with %q", r.Spec.CredentialExpiryWarning)
	}
}
