package secrets_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// countingDecryptor wraps a Decryptor and counts its calls per file.
type countingDecryptor struct {
	inner secrets.Decryptor

	mu      sync.Mutex
	decrypt map[string]int
	parse   map[string]int
}

func newCounting(inner secrets.Decryptor) *countingDecryptor {
	return &countingDecryptor{inner: inner, decrypt: map[string]int{}, parse: map[string]int{}}
}

func (c *countingDecryptor) Decrypt(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	c.mu.Lock()
	c.decrypt[file]++
	c.mu.Unlock()
	return c.inner.Decrypt(file, data, format)
}

func (c *countingDecryptor) Parse(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	c.mu.Lock()
	c.parse[file]++
	c.mu.Unlock()
	return c.inner.Parse(file, data, format)
}

func (c *countingDecryptor) counts(file string) (decrypt, parse int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.decrypt[file], c.parse[file]
}

func (c *countingDecryptor) assertCounts(t *testing.T, file string, decrypt, parse int) {
	t.Helper()
	d, p := c.counts(file)
	if d != decrypt || p != parse {
		t.Errorf("%s: Decrypt called %d times, Parse %d; want %d and %d", file, d, p, decrypt, parse)
	}
}

func mustResolve(t *testing.T, res *secrets.Resolver, ref secrets.Ref) string {
	t.Helper()
	v, err := res.Resolve(ref)
	if err != nil {
		t.Fatalf("Resolve(%+v): %v", ref, err)
	}
	return v.Reveal()
}

func TestResolverDecryptsEachFileOnce(t *testing.T) {
	testenv.UseDemoKey(t)
	counter := newCounting(testsops.NewDecryptor())
	res := secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), counter)

	token := mustResolve(t, res, secrets.Ref{File: "secrets.yaml", Key: "portworx.token"})
	endpoint := mustResolve(t, res, secrets.Ref{File: "secrets.yaml", Key: "portworx.endpoint"})
	if token == endpoint || endpoint != "px.destination.example.com" {
		t.Fatalf("two keys of one cached document: %d bytes and %q", len(token), endpoint)
	}
	if again := mustResolve(t, res, secrets.Ref{File: "secrets.yaml", Key: "portworx.token"}); again != token {
		t.Fatal("the same key resolved twice differs")
	}
	whole := mustResolve(t, res, secrets.Ref{File: "secrets.yaml"})
	if whole == token {
		t.Fatal("the whole file equals one key")
	}
	counter.assertCounts(t, "secrets.yaml", 1, 0)

	// Another file is decrypted on its own, once.
	mustResolve(t, res, secrets.Ref{File: "kubeconfig.yaml"})
	mustResolve(t, res, secrets.Ref{File: "kubeconfig.yaml", Key: "current-context"})
	counter.assertCounts(t, "kubeconfig.yaml", 1, 0)
	counter.assertCounts(t, "secrets.yaml", 1, 0)

	// Failures are cached too, and each reference still gets its error.
	for range 3 {
		_, err := res.Resolve(secrets.Ref{File: "kubeconfig-tampered.yaml", Key: "current-context"})
		assertReason(t, err, secrets.ReasonTampered)
	}
	counter.assertCounts(t, "kubeconfig-tampered.yaml", 1, 0)
	// A missing file never reaches the decryptor.
	for range 2 {
		_, err := res.Resolve(secrets.Ref{File: "missing.yaml"})
		assertReason(t, err, secrets.ReasonNotFound)
	}
	counter.assertCounts(t, "missing.yaml", 0, 0)

	// A key error on a cached document does not poison the other keys.
	_, err := res.Resolve(secrets.Ref{File: "secrets.yaml", Key: "portworx.nope"})
	assertReason(t, err, secrets.ReasonKeyNotFound)
	if got := mustResolve(t, res, secrets.Ref{File: "secrets.yaml", Key: "portworx.token"}); got != token {
		t.Fatal("a key error changed the cached document")
	}
	counter.assertCounts(t, "secrets.yaml", 1, 0)
}

func TestResolverCacheKeepsSettingsApart(t *testing.T) {
	testenv.UseDemoKey(t)
	plain := secretstest.ReadFixture(t, "token-plaintext.txt")

	t.Run("refused, then allowed, then refused", func(t *testing.T) {
		counter := newCounting(testsops.NewDecryptor())
		res := secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), counter)
		_, err := res.Resolve(secrets.Ref{File: "token-plaintext.txt"})
		assertReason(t, err, secrets.ReasonPlaintext)
		if got := mustResolve(t, res, secrets.Ref{File: "token-plaintext.txt", AllowUnencrypted: true}); got != plain {
			t.Fatalf("allowed plaintext = %q, want the file", got)
		}
		_, err = res.Resolve(secrets.Ref{File: "token-plaintext.txt"})
		assertReason(t, err, secrets.ReasonPlaintext)
		counter.assertCounts(t, "token-plaintext.txt", 2, 1)
	})

	t.Run("allowed first must not leak to a refusing reference", func(t *testing.T) {
		counter := newCounting(testsops.NewDecryptor())
		res := secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), counter)
		if got := mustResolve(t, res, secrets.Ref{File: "token-plaintext.txt", AllowUnencrypted: true}); got != plain {
			t.Fatalf("allowed plaintext = %q, want the file", got)
		}
		for range 2 {
			_, err := res.Resolve(secrets.Ref{File: "token-plaintext.txt"})
			assertReason(t, err, secrets.ReasonPlaintext)
		}
		if got := mustResolve(t, res, secrets.Ref{File: "token-plaintext.txt", AllowUnencrypted: true}); got != plain {
			t.Fatalf("allowed plaintext (cached) = %q", got)
		}
		counter.assertCounts(t, "token-plaintext.txt", 2, 1)
	})

	t.Run("formats are cached apart", func(t *testing.T) {
		counter := newCounting(testsops.NewDecryptor())
		res := secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), counter)
		token := mustResolve(t, res, secrets.Ref{File: "secrets.yaml", Key: "portworx.token"})
		_, err := res.Resolve(secrets.Ref{File: "secrets.yaml", Format: "binary"})
		assertReason(t, err, secrets.ReasonMalformed)
		if got := mustResolve(t, res, secrets.Ref{File: "secrets.yaml", Format: "yaml", Key: "portworx.token"}); got != token {
			t.Fatal("explicit yaml differs from inferred yaml")
		}
		// yaml inferred and yaml explicit are the same entry; binary is another.
		counter.assertCounts(t, "secrets.yaml", 2, 0)
	})

	t.Run("encrypted file, plaintext allowed or not, same value", func(t *testing.T) {
		counter := newCounting(testsops.NewDecryptor())
		res := secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), counter)
		a := mustResolve(t, res, secrets.Ref{File: "px.env", Key: "PX_TOKEN", AllowUnencrypted: true})
		b := mustResolve(t, res, secrets.Ref{File: "px.env", Key: "PX_TOKEN"})
		if a != b {
			t.Fatal("allowing plaintext changed an encrypted file's value")
		}
		counter.assertCounts(t, "px.env", 2, 0)
	})
}

func TestResolverConcurrent(t *testing.T) {
	testenv.UseDemoKey(t)
	counter := newCounting(testsops.NewDecryptor())
	res := secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), counter)
	want := map[string]string{}
	refs := []secrets.Ref{
		{File: "secrets.yaml", Key: "portworx.token"},
		{File: "secrets.yaml", Key: "portworx.endpoint"},
		{File: "px.env", Key: "PX_TOKEN"},
		{File: "token.enc"},
		{File: "kubeconfig.yaml", Key: "current-context"},
	}
	for _, ref := range refs {
		want[fmt.Sprint(ref)] = mustResolve(t, secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), testsops.NewDecryptor()), ref)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 40 {
		ref := refs[i%len(refs)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := res.Resolve(ref)
			if err != nil {
				errs <- err
				return
			}
			if v.Reveal() != want[fmt.Sprint(ref)] {
				errs <- fmt.Errorf("%v: wrong value", ref)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, f := range []string{"secrets.yaml", "px.env", "token.enc", "kubeconfig.yaml"} {
		counter.assertCounts(t, f, 1, 0)
	}
}

// TestResolveRefusesOversizedValues: a value is bounded like a file, even
// when YAML aliases make it larger than the file it came from; it is
// refused before it is printed.
func TestResolveRefusesOversizedValues(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 200<<10)
	doc := "big: &a " + big + "\nlist: [" + strings.Repeat("*a, ", 7) + "*a]\n"
	if err := os.WriteFile(filepath.Join(dir, "aliases.yaml"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	root, err := secrets.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	res := secrets.NewResolver(root, testsops.NewDecryptor())
	if _, err := res.Resolve(secrets.Ref{File: "aliases.yaml", Key: "big", AllowUnencrypted: true}); err != nil {
		t.Fatalf("a value under the limit: %v", err)
	}
	_, err = res.Resolve(secrets.Ref{File: "aliases.yaml", Key: "list", AllowUnencrypted: true})
	if secrets.ReasonOf(err) != secrets.ReasonTooLarge || !strings.Contains(err.Error(), `key "list" selects a list that could print to more than 1048576 bytes`) {
		t.Fatalf("error = %v, want the value refused as too large", err)
	}
	if strings.Contains(err.Error(), "xxxx") {
		t.Error("the error contains the value")
	}
}
