package secrets

import (
	"sync/atomic"
)

// Budget bounds what one run reads from referenced files, all of them
// together, so that a repository cannot make a shared renderer read (and
// decrypt, and hold) without limit by referencing many files. Each file is
// also bounded on its own (MaxFileSize). A Budget is safe for concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes; limit <= 0 means
// DefaultMaxReadBytes.
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		limit = DefaultMaxReadBytes
	}
	return &Budget{limit: limit}
}

// Limit returns the budget's bound in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// charge takes n bytes read from file out of the budget, or fails once the
// run has read more than the limit.
func (b *Budget) charge(file string, n int) error {
	if b == nil {
		return nil
	}
	if used := b.used.Add(int64(n)); used > b.limit {
		return NewError(file, ReasonTooLarge, "reading it brings this run's referenced files to %d bytes, over the limit of %d (raise it with --max-read-bytes or CLUSTERPAIR_FN_MAX_READ_BYTES)", used, b.limit)
	}
	return nil
}
