// Command fluxapply runs the steps of Flux's kustomize-controller on one
// directory with the Flux packages the controller is made of, for the GitOps
// end-to-end suite (test/cluster, build tags cluster and gitops):
//
//	fluxapply version
//	fluxapply apply  -kubeconfig F -kustomization KS.yaml -path DIR [-age-key-file F] [-timeout D]
//	fluxapply status -kubeconfig F -kustomization KS.yaml -name N -namespace NS
//	fluxapply wait   -kubeconfig F -kustomization KS.yaml -name N -namespace NS -timeout D
//
// apply builds DIR with fluxcd/pkg/kustomize (the controller's generator and
// secure build), decrypts SOPS-encrypted objects, and applies the result with
// fluxcd/pkg/ssa (ApplyAllStaged with the controller's apply options, field
// manager and owner labels), printing one "action subject" line per object
// (also those applied before an error). Like the controller, it gives the
// apply no deadline unless -timeout is set. The SOPS step is
// not Flux's code: kustomize-controller's decryptor is internal to the
// controller module, which does not build from the module proxy; it is the
// sops library, which that decryptor calls. status prints the ClusterPair's
// health as Flux's CEL status reader (fluxcd/pkg/runtime/cel) reads it from
// the cluster; wait runs ssa's WaitForSetWithContext with that reader, fail
// fast, as the controller does for spec.wait. With FLUXAPPLY_TRACE set, every
// Get and Delete ssa sends is logged on stderr first, so that the suite can
// tell where an apply is (for example polling for a deleted object).
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: fluxapply version|apply|status|wait [flags]"))
	}
	var err error
	switch os.Args[1] {
	case "version":
		fmt.Println(versions())
		return
	case "apply":
		err = apply(os.Args[2:])
	case "status":
		err = statusCmd(os.Args[2:])
	case "wait":
		err = wait(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "fluxapply:", err)
	os.Exit(1)
}

// versions lists the Flux modules (and sops) this binary was built with, from
// its build info.
func versions() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(no build info)"
	}
	var out []string
	for _, m := range bi.Deps {
		if strings.HasPrefix(m.Path, "github.com/fluxcd/") || m.Path == "github.com/getsops/sops/v3" {
			out = append(out, m.Path+" "+m.Version)
		}
	}
	return strings.Join(out, "\n")
}
