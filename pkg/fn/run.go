package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// Run is the function, stdin to stdout: it reads a ResourceList from in
// (once, at most secrets.MaxInputSize bytes and secrets.MaxInputSeparators
// YAML separators), parses it, processes it (Process) and writes the
// resulting ResourceList to out: with the rendered objects on success, with
// the input items unchanged plus error results on failure (then the error
// is ErrFailed and the caller must exit non-zero). A successful kustomize
// generator run returns only the rendered objects, without the copy of the
// request kustomize passes as the only item (see generatorConfigItem).
func Run(p *Processor, in io.Reader, out io.Writer) error {
	rl, err := readResourceList(in, p.Limits)
	if err != nil {
		return err
	}
	config := generatorConfigItem(rl)
	procErr := p.Process(rl)
	if procErr != nil && !errors.Is(procErr, ErrFailed) {
		return procErr // nothing is written
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

// readResourceList is the read and parse steps: stdin read once, bounded
// before it is parsed.
func readResourceList(in io.Reader, limits secrets.Limits) (*sdk.ResourceList, error) {
	data, tooLarge, err := secrets.ReadAtMost(in, secrets.MaxInputSize)
	if err != nil {
		return nil, fmt.Errorf("reading the ResourceList from stdin: %w", err)
	}
	if tooLarge {
		return nil, fmt.Errorf("the ResourceList on stdin exceeds %d bytes", secrets.MaxInputSize)
	}
	if err := secrets.NewParseBudget(limits).Spend("the ResourceList on stdin", data); err != nil {
		return nil, err
	}
	rl, err := sdk.ParseResourceList(data)
	if err != nil {
		return nil, fmt.Errorf("reading the ResourceList from stdin: %w", err)
	}
	return rl, nil
}
