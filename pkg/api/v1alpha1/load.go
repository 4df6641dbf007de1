package v1alpha1

import (
	"errors"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// Load is the request pipeline every command uses: decode, default,
// validate. It returns the request and every finding (unknown fields,
// validation errors and warnings); the request is nil when the document
// could not be decoded at all. A caller renders the request only when the
// findings have no error.
func Load(data []byte) (*ClusterPairRequest, diag.Findings) {
	req, fs, err := Decode(data)
	if err != nil {
		var f diag.Finding
		if !errors.As(err, &f) {
			f = diag.Finding{Severity: diag.Error, Message: err.Error()}
		}
		return nil, append(fs, f)
	}
	req.Default()
	fs.Add(req.Validate()...)
	return req, fs
}
