package secrets

import "github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"

// EncodingBound is what boundEncoding charges for v, and its verdict.
func EncodingBound(v any, json bool) (int, error) {
	b := encodingBound{left: MaxFileSize, json: json}
	err := b.walk(v, 0)
	return MaxFileSize - b.left, err
}

// Branches returns the document's tree.
func (d *Document) Branches() []sopsfile.Mapping { return d.branches }
