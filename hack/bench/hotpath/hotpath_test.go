package hotpath_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/hack/bench/workload"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

func exampleFile(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), workload.ExampleDir, name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func singleInput(b *testing.B) []byte {
	b.Helper()
	in, err := workload.Single(testenv.RepoRoot())
	if err != nil {
		b.Fatal(err)
	}
	return in
}

// BenchmarkDecodeRequest: the ResourceList from stdin to a typed request.
func BenchmarkDecodeRequest(b *testing.B) {
	in := singleInput(b)
	b.ReportAllocs()
	for b.Loop() {
		rl, err := sdk.ParseResourceList(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := v1alpha1.Decode([]byte(rl.FunctionConfig.String())); err != nil {
			b.Fatal(err)
		}
	}
}

var decryptFiles = []struct{ name, file string }{
	{"kubeconfig", "destination-kubeconfig.yaml"},
	{"token", "px-token.enc"},
}

// BenchmarkDecrypt: one encrypted file to its plaintext, through the
// decryptor pkg/fn uses (the sops library in the full build, sopsfile's reader in the lean one) and
// through sopsfile directly.
func BenchmarkDecrypt(b *testing.B) {
	testenv.UseDemoKey(b)
	for _, f := range decryptFiles {
		data := exampleFile(b, f.file)
		format := secrets.FormatFor(f.file, "")
		b.Run(decryptorName+"/"+f.name, func(b *testing.B) {
			dec := newDecryptor()
			b.ReportAllocs()
			for b.Loop() {
				doc, err := dec.Decrypt(f.file, data, format)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := doc.Whole(f.file); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sopsfile-direct/"+f.name, func(b *testing.B) {
			dec := sopsfile.NewDecryptor()
			b.ReportAllocs()
			for b.Loop() {
				doc, err := dec.Decrypt(data, sopsfile.Format(format))
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

// BenchmarkTransform: decrypted kubeconfig and token to a ClusterPair
// (minify, checks, the client-go validation Stork performs).
func BenchmarkTransform(b *testing.B) {
	testenv.UseDemoKey(b)
	rl, err := sdk.ParseResourceList(singleInput(b))
	if err != nil {
		b.Fatal(err)
	}
	cpr, _, err := v1alpha1.Decode([]byte(rl.FunctionConfig.String()))
	if err != nil {
		b.Fatal(err)
	}
	cpr.Default()
	plain := func(file string) []byte {
		d, err := sopsfile.NewDecryptor().Decrypt(exampleFile(b, file), sopsfile.FormatFromString(string(secrets.FormatFor(file, ""))))
		if err != nil {
			b.Fatal(err)
		}
		out, err := d.Plaintext()
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	s := transform.Secrets{Kubeconfig: plain("destination-kubeconfig.yaml"), Token: bytes.TrimSuffix(plain("px-token.enc"), []byte("\n")), Now: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if _, fs := transform.Render(cpr, s); fs.HasErrors() {
			b.Fatalf("render: %v", fs)
		}
	}
}

// BenchmarkEncode: the rendered ResourceList to stdout bytes.
func BenchmarkEncode(b *testing.B) {
	testenv.UseDemoKey(b)
	rl, err := sdk.ParseResourceList(singleInput(b))
	if err != nil {
		b.Fatal(err)
	}
	p := &fn.Processor{Decryptor: newDecryptor(), Root: filepath.Join(testenv.RepoRoot(), workload.ExampleDir), Log: io.Discard}
	if err := p.Process(rl); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rl.ToYAML(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcess: the whole processor in-process (stdin bytes to stdout
// bytes) for 1, 10 and 100 requests, each pair in its own directory; with
// HOTPATH_FLEET_1000 set also 1,000 (run it with -benchtime 1x).
func BenchmarkProcess(b *testing.B) {
	testenv.UseDemoKey(b)
	sizes := []int{1, 10, 100}
	if os.Getenv("HOTPATH_FLEET_1000") != "" {
		sizes = append(sizes, 1000)
	}
	for _, n := range sizes {
		dir := b.TempDir()
		in, err := workload.Fleet(testenv.RepoRoot(), dir, n)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/requests=%d", decryptorName, n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// A new decryptor per run, as a new process has.
				p := &fn.Processor{Decryptor: newDecryptor(), Root: dir, Log: io.Discard}
				if err := fn.Run(p, bytes.NewReader(in), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
