package hotpath_test

import (
	"fmt"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/hack/bench/workload"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// BenchmarkAddRendered isolates how rendered objects join the ResourceList
// at fleet scale: checking every object against every item and adding it
// with the SDK's UpsertObjectToItems, which scans the items again (two
// scans per object: quadratic, what pkg/fn did before it indexed the
// items), against an index of the items' identities built once (linear).
func BenchmarkAddRendered(b *testing.B) {
	for _, n := range []int{100, 1000} {
		in, err := workload.Fleet(testenv.RepoRoot(), b.TempDir(), n)
		if err != nil {
			b.Fatal(err)
		}
		rl, err := sdk.ParseResourceList(in)
		if err != nil {
			b.Fatal(err)
		}
		items := append(sdk.KubeObjects{}, rl.Items...)
		var rendered []*sdk.KubeObject
		for i := range n {
			o, err := sdk.ParseKubeObject([]byte(fmt.Sprintf("apiVersion: stork.libopenstorage.org/v1alpha1\nkind: ClusterPair\nmetadata:\n  name: dr-%05d\n  namespace: app\nspec: {}\n", i)))
			if err != nil {
				b.Fatal(err)
			}
			rendered = append(rendered, o)
		}
		b.Run(fmt.Sprintf("scan-and-upsert/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				rl.Items = append(sdk.KubeObjects{}, items...)
				for _, o := range rendered {
					for _, item := range rl.Items { // a conflict check by scanning
						if item.GetAPIVersion() == o.GetAPIVersion() && item.GetKind() == o.GetKind() && item.GetNamespace() == o.GetNamespace() && item.GetName() == o.GetName() {
							b.Fatal("conflict")
						}
					}
					if err := rl.UpsertObjectToItems(o, nil, true); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(fmt.Sprintf("index/n=%d", n), func(b *testing.B) {
			type id struct{ apiVersion, kind, namespace, name string }
			key := func(o *sdk.KubeObject) id {
				return id{o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName()}
			}
			for b.Loop() {
				rl.Items = append(sdk.KubeObjects{}, items...)
				index := make(map[id]int, len(rl.Items)+len(rendered))
				for i, item := range rl.Items {
					index[key(item)] = i
				}
				for _, o := range rendered {
					k := key(o)
					if i, ok := index[k]; ok {
						rl.Items[i] = o
						continue
					}
					index[k] = len(rl.Items)
					rl.Items = append(rl.Items, o)
				}
			}
		})
	}
}
