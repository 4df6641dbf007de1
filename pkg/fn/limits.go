package fn

import "github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"

// DefaultMaxRequests is how many ClusterPairRequests one run renders at
// most unless the operator raises it.
const DefaultMaxRequests = 2000

// Limits bound the work of one run, so that one commit cannot take a shared
// renderer (an Argo CD repo-server, a CI runner) down. They are the
// operator's: flags and environment, never the input. Zero fields take the
// defaults. The input itself is bounded by MaxInputSize and each referenced
// file by secrets.MaxFileSize.
type Limits struct {
	// MaxRequests bounds the ClusterPairRequests in one input; a larger
	// input is refused before any of them is decoded.
	MaxRequests int
	// MaxReadBytes bounds the bytes read from referenced files, all of them
	// together.
	MaxReadBytes int64
}

// WithDefaults returns l with its zero fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxRequests <= 0 {
		l.MaxRequests = DefaultMaxRequests
	}
	if l.MaxReadBytes <= 0 {
		l.MaxReadBytes = secrets.DefaultMaxReadBytes
	}
	return l
}
