package fn

import (
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// rootHint is added to a "not found" about a file of a request that named
// no package and no file of its own, so that its relative paths resolved
// against the working directory: right under kustomize, wrong when kpt fn
// eval runs the function from another directory.
const rootHint = `; relative paths resolve against the working directory here: under kpt fn eval from another directory, pass the package with --exec "clusterpair-fn --root PATH/TO/PACKAGE"`

// addRootHint appends rootHint to the not-found findings of a request
// whose directory is the working directory.
func addRootHint(fs diag.Findings, req request) {
	if req.file != "" || req.object.GetAnnotation(PackagePathAnnotation) != "" {
		return
	}
	for i := range fs {
		if fs[i].Severity == diag.Error && fs[i].File != "" && strings.Contains(fs[i].Message, "no such file under") {
			fs[i].Message += rootHint
		}
	}
}
