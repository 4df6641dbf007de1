package diag

import "testing"

func TestFindingText(t *testing.T) {
	cases := []struct {
		name string
		f    Finding
		want string
	}{
		{"message only", Finding{Severity: Error, Field: "spec.mode", Message: "must be set"}, "must be set"},
		{"file before the message", Finding{Severity: Warning, Field: "spec.storage.token.file", File: "px token.enc", Message: "is empty"}, `file "px token.enc": is empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.Text(); got != c.want {
				t.Errorf("Text() = %q, want %q", got, c.want)
			}
		})
	}
}
