package fn

import (
	"bytes"
	"fmt"
	"io"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
)

// writeResourceList writes rl exactly as rl.ToYAML() prints it, but one
// item at a time: encoding a fleet's whole ResourceList as one YAML
// document holds the encoder's state for every item at once (about ten
// times the output), while this holds one item's. The items are sorted
// first, as ToYAML sorts them.
func writeResourceList(w io.Writer, rl *sdk.ResourceList) error {
	rl.Sort()
	// The envelope without items: apiVersion and kind, then functionConfig
	// and results (ToYAML's order puts the items between the two).
	envelope, err := (&sdk.ResourceList{FunctionConfig: rl.FunctionConfig, Results: rl.Results}).ToYAML()
	if err != nil {
		return err
	}
	head, rest, err := cutLines(envelope, 2)
	if err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	if len(rl.Items) > 0 {
		if _, err := io.WriteString(w, "items:\n"); err != nil {
			return err
		}
		one := &sdk.ResourceList{FunctionConfig: sdk.NewEmptyKubeObject()}
		for _, item := range rl.Items {
			one.Items = sdk.KubeObjects{item}
			encoded, err := one.ToYAML()
			if err != nil {
				return err
			}
			_, body, err := cutLines(encoded, 3) // apiVersion, kind, items:
			if err != nil {
				return err
			}
			if _, err := w.Write(body); err != nil {
				return err
			}
		}
	}
	_, err = w.Write(rest)
	return err
}

// cutLines splits data after its first n lines.
func cutLines(data []byte, n int) ([]byte, []byte, error) {
	at := 0
	for range n {
		i := bytes.IndexByte(data[at:], '\n')
		if i < 0 {
			return nil, nil, fmt.Errorf("encoding the ResourceList: expected %d header lines", n)
		}
		at += i + 1
	}
	return data[:at], data[at:], nil
}
