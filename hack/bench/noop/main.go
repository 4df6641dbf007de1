// Command noop is the benchmark baseline: a KRM function built with the fn
// SDK alone that passes its input through. Every exec function pays at least
// its cost.
package main

import (
	"os"

	"github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
)

func main() {
	if err := fn.AsMain(fn.ResourceListProcessorFunc(func(*fn.ResourceList) (bool, error) { return true, nil })); err != nil {
		os.Exit(1)
	}
}
