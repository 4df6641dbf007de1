package fn_test

import (
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
)

// TestMain lets the test binary be the lean build's co-process.
func TestMain(m *testing.M) { testsops.Main(m) }
