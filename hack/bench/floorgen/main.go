// Command floorgen is the Go floor of a kustomize generator for `make
// bench`: built with the fn SDK alone, it reads and parses the ResourceList
// on stdin as any fn-SDK function does, then prints the file named by
// $FLOORGEN_OUTPUT (the ResourceList of the objects clusterpair-fn renders
// for that very input) instead of rendering anything. The difference to the
// pair-only shell script is what starting a Go KRM function and parsing its
// input costs; the difference to clusterpair-fn is the rendering.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err == nil {
		_, err = fn.ParseResourceList(in)
	}
	var out []byte
	if err == nil {
		out, err = os.ReadFile(os.Getenv("FLOORGEN_OUTPUT"))
	}
	if err == nil {
		_, err = os.Stdout.Write(out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorgen:", err)
		os.Exit(1)
	}
}
