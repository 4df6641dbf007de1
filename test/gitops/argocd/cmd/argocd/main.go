// Command argocd is Argo CD's own argocd-cmp-server and argocd-repo-server,
// built from the upstream module (github.com/argoproj/argo-cd/v3) for the
// GitOps end-to-end suite and the Argo CD bench. Like Argo CD's cmd/main.go
// it picks the server by the name it is invoked as (or ARGOCD_BINARY_NAME);
// it adds nothing of its own except "version", which prints the upstream
// module version from the build info (Argo CD's own version string reads
// v99.99.99+unknown when it is built as a dependency), "manifests", a client
// of the repo-server's gRPC API (see manifests.go), and "cmp", which calls
// cmp-server plugins the way the repo-server does (see cmp.go).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	cmpserver "github.com/argoproj/argo-cd/v3/cmd/argocd-cmp-server/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/spf13/cobra"
)

// argoModule is the upstream module whose version "version" reports.
const argoModule = "github.com/argoproj/argo-cd/v3"

func main() {
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" {
		name = v
	}
	var command *cobra.Command
	switch name {
	case "argocd-cmp-server":
		command = cmpserver.NewCommand()
	case "argocd-repo-server":
		command = reposerver.NewCommand()
	default:
		switch {
		case len(os.Args) == 2 && os.Args[1] == "version":
			fmt.Println(upstreamVersion())
			return
		case len(os.Args) >= 2 && os.Args[1] == "manifests":
			if err := manifests(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			return
		case len(os.Args) >= 2 && os.Args[1] == "cmp":
			if err := cmpGenerate(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			return
		}
		fmt.Fprintf(os.Stderr, "invoke as argocd-cmp-server or argocd-repo-server (or set ARGOCD_BINARY_NAME), or run %q version|manifests|cmp\n", name)
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}

// upstreamVersion is the version of Argo CD's module this binary was built
// from, as recorded in its build info.
func upstreamVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return argoModule + " (unknown)"
	}
	for _, m := range bi.Deps {
		if m.Path == argoModule {
			return m.Path + " " + m.Version
		}
	}
	return argoModule + " (not in build info)"
}
