package author

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// TestKustomizationNamesTheSideOfABidirectionalPair: the command
// kustomization.yaml tells the reader to render with must work: a
// bidirectional request renders only with its side chosen
// (CLUSTERPAIR_SIDE), so its kustomization says so, for each side; a
// one-way request's keeps the plain command.
func TestKustomizationNamesTheSideOfABidirectionalPair(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	for _, c := range []struct {
		name    string
		reverse bool
		sides   []transform.Side // the sides the comment's commands render
	}{
		{name: "one-way", sides: []transform.Side{""}},
		{name: "bidirectional", reverse: true, sides: []transform.Side{transform.SideSource, transform.SideDestination}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pair")
			opts, _ := bidiOptions(t, f, dir)
			opts.ObjectStore = ObjectStoreOptions{}
			if !c.reverse {
				opts.Reverse = SideOptions{}
			}
			if _, err := New(opts); err != nil {
				t.Fatalf("New: %v", err)
			}
			kust, err := os.ReadFile(filepath.Join(dir, KustomizationFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, side := range c.sides {
				if named := strings.Contains(string(kust), "CLUSTERPAIR_SIDE="+string(side)+" kustomize build"); named != (side != "") {
					t.Errorf("kustomization.yaml names side %q: %v, want %v:\n%s", side, named, side != "", kust)
				}
				// What that command runs: the function, on the side it names.
				req, err := os.ReadFile(filepath.Join(dir, RequestFile))
				if err != nil {
					t.Fatal(err)
				}
				fc, err := sdk.ParseKubeObject(req)
				if err != nil {
					t.Fatal(err)
				}
				rl := &sdk.ResourceList{FunctionConfig: fc}
				p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Root: dir, Side: side}
				if err := p.Process(rl); err != nil {
					t.Errorf("the command kustomization.yaml gives (side %q) fails: %v %v", side, err, rl.Results)
				}
			}
		})
	}
}
