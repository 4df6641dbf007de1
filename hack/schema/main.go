// Command schema writes schema/clusterpairrequest.schema.json from the CRD
// controller-gen generated into schema/ (run by `make schema`, from the
// repository root).
package main

import (
	"fmt"
	"os"

	"github.com/clusterpair-fn/clusterpair-fn/internal/reqschema"
)

func main() {
	crd, err := os.ReadFile(reqschema.CRDFile)
	if err == nil {
		var out []byte
		if out, err = reqschema.JSONSchema(crd); err == nil {
			err = os.WriteFile(reqschema.JSONSchemaFile, out, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schema:", err)
		os.Exit(1)
	}
}
