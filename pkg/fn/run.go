package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
)

// MaxInputSize bounds the ResourceList read from stdin.
const MaxInputSize = 64 << 20

// MaxInputSeparators bounds the YAML separators (newlines, ",", ":", "-",
// "[", "{") of the ResourceList, counted before it is parsed. Parsed YAML
// takes about a kilobyte per node, so a few megabytes of "[a,a,a,...]" would
// otherwise take gigabytes; every node needs a separator, so the count
// bounds the nodes. 2,000 requests need about 120,000.
const MaxInputSeparators = 500_000

// YAMLSeparators counts the bytes that can start a YAML node: every node
// needs one, so the count bounds what parsing data can take. check bounds
// the files it reads with it too.
func YAMLSeparators(data []byte) int {
	n := 0
	for _, b := range data {
		switch b {
		case '\n', ',', ':', '-', '[', '{':
			n++
		}
	}
	return n
}

// Run reads a ResourceList from in, processes it and writes the resulting
// ResourceList to out: with the rendered objects on success, with the input
// items unchanged plus error results on failure (then the error is
// ErrFailed and the caller must exit non-zero). A successful kustomize
// generator run returns only the rendered objects, without the copy of the
// request kustomize passes as the only item (see generatorConfigItem).
func Run(p *Processor, in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(io.LimitReader(in, MaxInputSize+1))
	if err != nil {
		return fmt.Errorf("reading the ResourceList from stdin: %w", err)
	}
	if len(data) > MaxInputSize {
		return fmt.Errorf("the ResourceList on stdin exceeds %d bytes", MaxInputSize)
	}
	if n := YAMLSeparators(data); n > MaxInputSeparators {
		return fmt.Errorf("the ResourceList on stdin has %d YAML separators (about as many nodes); the limit is %d, which bounds the memory its parse takes", n, MaxInputSeparators)
	}
	rl, err := sdk.ParseResourceList(data)
	if err != nil {
		return fmt.Errorf("reading the ResourceList from stdin: %w", err)
	}
	config := generatorConfigItem(rl)
	procErr := p.Process(rl)
	if procErr != nil && !errors.Is(procErr, ErrFailed) {
		return procErr // includes secrets.ErrNeedsFullSOPS: nothing is written
	}
	if procErr == nil && config != nil {
		// A kustomize generator returns only what it generated.
		rl.Items = withoutItem(rl.Items, config)
	}
	// Buffered whole, so that a failure half-way writes nothing.
	var encoded bytes.Buffer
	if err := writeResourceList(&encoded, rl); err != nil {
		return fmt.Errorf("writing the ResourceList: %w", err)
	}
	if _, err := out.Write(encoded.Bytes()); err != nil {
		return fmt.Errorf("writing the ResourceList: %w", err)
	}
	return procErr
}
