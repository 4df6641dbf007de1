package sopsfile_test

import (
	"testing"

	"github.com/getsops/sops/v3/decrypt"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// The decrypt hot path, per file: the sops library (decrypt.Data, which
// loads the age identities again for every file) against sopsfile (which
// keeps them), on the example's kubeconfig and token.
func benchFiles(b *testing.B) []struct {
	name   string
	data   []byte
	format sopsfile.Format
} {
	return []struct {
		name   string
		data   []byte
		format sopsfile.Format
	}{
		{"kubeconfig", readFixture(b, "examples", "kustomize", "destination-kubeconfig.yaml"), sopsfile.YAML},
		{"token", readFixture(b, "examples", "kustomize", "px-token.enc"), sopsfile.Binary},
	}
}

func BenchmarkDecryptSOPSLibrary(b *testing.B) {
	testenv.UseDemoKey(b)
	for _, f := range benchFiles(b) {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decrypt.Data(f.data, string(f.format)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecryptSopsfile(b *testing.B) {
	testenv.UseDemoKey(b)
	for _, f := range benchFiles(b) {
		b.Run(f.name, func(b *testing.B) {
			d := sopsfile.NewDecryptor()
			b.ReportAllocs()
			for b.Loop() {
				doc, err := d.Decrypt(f.data, f.format)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := doc.Plaintext(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecryptSopsfileNoPlaintext leaves out printing the plaintext (a
// caller that reads the tree does not need it).
func BenchmarkDecryptSopsfileNoPlaintext(b *testing.B) {
	testenv.UseDemoKey(b)
	for _, f := range benchFiles(b) {
		b.Run(f.name, func(b *testing.B) {
			d := sopsfile.NewDecryptor()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Decrypt(f.data, f.format); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
