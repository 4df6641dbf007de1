package testsops

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// FuzzDecryptor is the body of each decryptor's FuzzDecrypt: it feeds
// arbitrary bytes, in every format, to dec with the demo key available,
// seeded with the repository's fixtures, and fails on a panic or an error
// that is not a classified *secrets.Error.
func FuzzDecryptor(f *testing.F, dec secrets.Decryptor) {
	testenv.UseDemoKey(f)
	files, _ := filepath.Glob(testenv.Path("testdata", "secrets", "*"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err == nil && len(data) < 16<<10 {
			f.Add(data, uint8(0))
		}
	}
	formats := []secrets.Format{secrets.FormatYAML, secrets.FormatJSON, secrets.FormatDotenv, secrets.FormatINI, secrets.FormatBinary}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		format := formats[int(which)%len(formats)]
		doc, err := dec.Decrypt("fuzz", data, format)
		if err != nil {
			if secrets.ReasonOf(err) == "" {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if _, err := doc.Whole("fuzz"); err != nil && secrets.ReasonOf(err) == "" {
			t.Fatalf("unclassified error: %v", err)
		}
	})
}
