package secrets_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// Markers planted in the hostile files: never in an error.
const (
	boundCanary = "bound-canary-7f3a9c"
	leafCanary  = "leaf-canary-51d2e8"
)

// nestedJSON is a JSON value with levels objects ({"a": ...}) around leaf.
func nestedJSON(levels int, leaf string) string {
	return strings.Repeat(`{"a":`, levels) + leaf + strings.Repeat("}", levels)
}

// allocated returns the bytes f allocates (TotalAlloc, the whole process:
// the tests of this file do not run in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSelectedValueIsBoundedBeforeEncoding: a key that selects a deeply
// nested subtree, or one whose indentation alone would print to more than
// MaxFileSize, is refused before it is re-encoded, with an error naming the
// file and the key (never a value), and the refusal allocates next to
// nothing. Before the fix the subtree was re-encoded first: the 24 KB file
// of the first case printed to 32 MB of YAML (80 MB allocated), 96 KB to
// 1 GB of RSS. The same holds for the whole of the file (no key).
func TestSelectedValueIsBoundedBeforeEncoding(t *testing.T) {
	testenv.UseDemoKey(t)
	wide := strings.Repeat("1,", 20000) + "1"
	cases := []struct {
		name, file, data, key, want string
	}{
		{"nested objects", "objects.json", `{"x":"` + boundCanary + `","a":` + nestedJSON(4000, `"`+leafCanary+`"`) + `}`, "a", `key "a" selects a mapping that nests more than 100 levels deep`},
		{"nested lists", "lists.json", `{"x":"` + boundCanary + `","a":` + strings.Repeat("[", 8000) + `"` + leafCanary + `"` + strings.Repeat("]", 8000) + `}`, "a", `key "a" selects a list that nests more than 100 levels deep`},
		{"nested YAML flow mappings", "flow.yaml", "x: " + boundCanary + "\na: " + strings.Repeat("{a: ", 3000) + leafCanary + strings.Repeat("}", 3000) + "\n", "a", `key "a" selects a mapping that nests more than 100 levels deep`},
		{"a long list at the nesting limit", "wide.json", `{"x":"` + boundCanary + `","a":` + nestedJSON(98, `["`+leafCanary+`",`+wide+`]`) + `}`, "a", `key "a" selects a mapping that could print to more than 1048576 bytes as YAML`},
		{"a list selected by index", "index.json", `{"x":"` + boundCanary + `","a":[` + nestedJSON(4000, `"`+leafCanary+`"`) + `]}`, "a.0", `key "a.0" selects a mapping that nests more than 100 levels deep`},
		{"the whole of a nested file", "objects.json", "", "", "nests mappings and lists more than 100 levels deep, the limit for a decrypted value"},
		{"the whole of a nested YAML file", "flow.yaml", "", "", "nests mappings and lists more than 100 levels deep"},
		{"the whole of a long list at the limit", "wide.json", "", "", "could print to more than 1048576 bytes as json, the limit for a decrypted value"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		if c.data != "" {
			if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	res := secrets.NewResolver(openRoot(t, dir), testsops.NewDecryptor())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Read and parse the file first (the resolver keeps it), so that
			// what is measured is the selection alone.
			if got := mustResolve(t, res, secrets.Ref{File: c.file, Key: "x", AllowUnencrypted: true}); got != boundCanary {
				t.Fatalf("key x resolved to %d bytes", len(got))
			}
			var err error
			n := allocated(func() {
				_, err = res.Resolve(secrets.Ref{File: c.file, Key: c.key, AllowUnencrypted: true})
			})
			e := errorWithReason(t, err, secrets.ReasonTooLarge)
			if e.File != c.file {
				t.Errorf("the error names the file %q, want %q", e.File, c.file)
			}
			secretstest.AssertContains(t, e.Error(), c.want)
			secretstest.AssertNoSecret(t, e.Error(), boundCanary, leafCanary, "{a", "[[", "1,1")
			if n > 256<<10 {
				t.Errorf("refusing allocated %d KiB; want under 256 KiB (the subtree was re-encoded before the limits were checked)", n>>10)
			}
		})
	}
}

// TestWholeIsBoundedBeforeEncoding: the whole of a structured document is
// checked before the decryptor's printer (sops's or package sopsfile's) is
// called; a binary file's content, which is not re-encoded, is not.
func TestWholeIsBoundedBeforeEncoding(t *testing.T) {
	deep := sopsfile.Mapping{{Key: "a", Value: nestedTree(secrets.MaxNesting)}}
	for _, format := range []secrets.Format{secrets.FormatYAML, secrets.FormatJSON, secrets.FormatINI, secrets.FormatDotenv} {
		doc := secrets.NewDocument(format, []sopsfile.Mapping{deep}, func() ([]byte, error) {
			t.Errorf("%s: the document was printed before its bound was checked", format)
			return nil, nil
		})
		_, err := doc.Whole("deep." + string(format))
		e := errorWithReason(t, err, secrets.ReasonTooLarge)
		secretstest.AssertContains(t, e.Error(), "nests mappings and lists more than 100 levels deep")
		if e.File != "deep."+string(format) {
			t.Errorf("the error names %q", e.File)
		}
	}
	printed := false
	bin := secrets.NewDocument(secrets.FormatBinary, []sopsfile.Mapping{{{Key: "data", Value: strings.Repeat("\x00\n", 300<<10)}}}, func() ([]byte, error) {
		printed = true
		return []byte("content"), nil
	})
	if _, err := bin.Whole("blob.bin"); err != nil || !printed {
		t.Fatalf("a binary file: %v (printed: %v)", err, printed)
	}
}

// TestJSONNestingIsBoundedBeforeParsing: a JSON file (or a binary file,
// which is JSON when encrypted) nested more than MaxParseNesting levels is
// refused from its bytes, before a decryptor parses it: both parsers
// recurse once a level (on ec7565d, 1 MiB of "[" allocated 40-60 MB and
// 128 MB of stack). Brackets in strings do not count; 10,000 levels parse.
func TestJSONNestingIsBoundedBeforeParsing(t *testing.T) {
	testenv.Isolate(t)
	dir := t.TempDir()
	half := 1<<19 - 16
	files := map[string]string{
		"lists.json":   `{"a":` + strings.Repeat("[", half) + strings.Repeat("]", half) + `}`,
		"objects.json": `{"x":"` + boundCanary + `","a":` + nestedJSON(10000, `"v"`) + `}`,
		"blob.bin":     `{"data":` + strings.Repeat("[", half) + strings.Repeat("]", half) + `}`,
		"strings.json": `{"x":"` + boundCanary + `","a":"` + strings.Repeat(`[{\"`, 20000) + `"}`,
		"limit.json":   `{"x":"` + boundCanary + `","a":` + nestedJSON(secrets.MaxParseNesting-1, `"v"`) + `}`,
		"text.bin":     strings.Repeat("[", 20000),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := secrets.NewResolver(openRoot(t, dir), testsops.NewDecryptor())
	for _, f := range []string{"lists.json", "objects.json", "blob.bin"} {
		var err error
		n := allocated(func() { _, err = res.Resolve(secrets.Ref{File: f, Key: "x", AllowUnencrypted: true}) })
		e := errorWithReason(t, err, secrets.ReasonTooLarge)
		secretstest.AssertContains(t, e.Error(), "nests JSON objects and arrays more than 10000 levels deep")
		if e.File != f {
			t.Errorf("the error names %q", e.File)
		}
		if n > 4<<20 {
			t.Errorf("%s: refusing allocated %d MiB (the file was parsed first)", f, n>>20)
		}
	}
	for _, f := range []string{"strings.json", "limit.json"} {
		if got := mustResolve(t, res, secrets.Ref{File: f, Key: "x", AllowUnencrypted: true}); got != boundCanary {
			t.Errorf("%s: %d bytes", f, len(got))
		}
	}
	if got := mustResolve(t, res, secrets.Ref{File: "text.bin", AllowUnencrypted: true}); len(got) != 20000 {
		t.Errorf("a plaintext binary file of brackets: %d bytes", len(got))
	}
}

// TestWholeJSONIsPrintedInOnePass: the whole of a JSON file with a long
// list, within the bound, is printed without building each container by
// string concatenation (sops's JSON printer, which the full build used:
// 10,000 one-character strings allocated 411 MiB to print 70 KB).
func TestWholeJSONIsPrintedInOnePass(t *testing.T) {
	testenv.Isolate(t)
	dir := t.TempDir()
	data := `{"x":"y","a":[` + strings.TrimSuffix(strings.Repeat(`"z",`, 10000), ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "list.json"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	res := secrets.NewResolver(openRoot(t, dir), testsops.NewDecryptor())
	mustResolve(t, res, secrets.Ref{File: "list.json", Key: "x", AllowUnencrypted: true})
	var whole string
	n := allocated(func() { whole = mustResolve(t, res, secrets.Ref{File: "list.json", AllowUnencrypted: true}) })
	if strings.Count(whole, `"z"`) != 10000 {
		t.Fatalf("the whole file: %d bytes", len(whole))
	}
	if n > 4<<20 {
		t.Errorf("printing %d bytes of JSON allocated %d MiB; want under 4 MiB", len(whole), n>>20)
	}
}

// nestedAround puts m inside depth mappings.
func nestedAround(depth int, m sopsfile.Mapping) sopsfile.Mapping {
	for range depth {
		m = sopsfile.Mapping{{Key: "a", Value: m}}
	}
	return m
}

// nestedTree is levels mappings nested in one another around a string.
func nestedTree(levels int) any {
	var v any = leafCanary
	for range levels {
		v = sopsfile.Mapping{{Key: "a", Value: v}}
	}
	return v
}

// TestSelectedValueLimitsAreExact: MaxNesting levels are accepted, one more
// is not; values close to MaxFileSize whose characters print as they are
// (including those JSON would escape, in YAML) are not refused by the bound.
func TestSelectedValueLimitsAreExact(t *testing.T) {
	testenv.Isolate(t)
	dir := t.TempDir()
	files := map[string]string{
		"at-limit.json":   `{"a":` + nestedJSON(secrets.MaxNesting, `"leaf"`) + `}`,
		"over-limit.json": `{"a":` + nestedJSON(secrets.MaxNesting+1, `"leaf"`) + `}`,
		"big.json":        `{"a":{"b":"` + strings.Repeat("x", 900<<10) + `"}}`,
		"ampersands.json": `{"a":{"b":"` + strings.Repeat("&", 900<<10) + `"}}`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := secrets.NewResolver(openRoot(t, dir), testsops.NewDecryptor())
	ref := func(file, key string) secrets.Ref { return secrets.Ref{File: file, Key: key, AllowUnencrypted: true} }

	if got := mustResolve(t, res, ref("at-limit.json", "a")); strings.Count(got, "a:") != secrets.MaxNesting || !strings.Contains(got, "leaf") {
		t.Errorf("%d levels: got %d bytes", secrets.MaxNesting, len(got))
	}
	_, err := res.Resolve(ref("over-limit.json", "a"))
	secretstest.AssertContains(t, errorWithReason(t, err, secrets.ReasonTooLarge).Error(), "more than 100 levels deep")
	// The whole of at-limit.json has one level more than its "a".
	_, err = res.Resolve(ref("at-limit.json", ""))
	secretstest.AssertContains(t, errorWithReason(t, err, secrets.ReasonTooLarge).Error(), "more than 100 levels deep")
	if got := mustResolve(t, res, ref("at-limit.json", "a.a")); !strings.Contains(got, "leaf") {
		t.Errorf("%d levels, whole: %d bytes", secrets.MaxNesting-1, len(got))
	}

	for _, f := range []string{"big.json", "ampersands.json"} {
		if got := mustResolve(t, res, ref(f, "a")); len(got) < 900<<10 {
			t.Errorf("%s: a %d-byte value", f, len(got))
		}
	}
	if got := mustResolve(t, res, ref("big.json", "")); len(got) < 900<<10 {
		t.Errorf("big.json whole: %d bytes", len(got))
	}
	// As JSON, & prints as \u0026: six times its size.
	_, err = res.Resolve(ref("ampersands.json", ""))
	secretstest.AssertContains(t, errorWithReason(t, err, secrets.ReasonTooLarge).Error(), "could print to more than 1048576 bytes as json")
}

// TestEncodingBoundHoldsForEveryPrinter: on random trees full of what
// printers escape, quote, fold or indent (line breaks, quotes, controls,
// non-printable and astral runes, invalid UTF-8, long keys, comments, byte
// slices, times, big floats), the bound is at least the size that package
// sopsfile's YAML and JSON printers and the build's decryptor (sops's own
// printer in the full build) produce.
func TestEncodingBoundHoldsForEveryPrinter(t *testing.T) {
	testenv.Isolate(t)
	rng := rand.New(rand.NewPCG(1, 2))
	dec := testsops.NewDecryptor()
	// Trees where one cost dominates, so that each part of the bound is
	// tested close to its limit: one character repeated, in a value and in
	// a key, and many items deep down.
	var trees []sopsfile.Mapping
	for _, depth := range []int{0, 3, 30, 90} {
		for _, p := range pieces {
			trees = append(trees, nestedAround(depth, sopsfile.Mapping{{Key: "k", Value: strings.Repeat(p, 300)}}))
			trees = append(trees, nestedAround(depth, sopsfile.Mapping{{Key: strings.Repeat(p, 100), Value: 1}}))
		}
		list, nested, mapping := make(sopsfile.List, 200), make(sopsfile.List, 200), make(sopsfile.Mapping, 200)
		for i := range list {
			list[i], nested[i], mapping[i] = i, sopsfile.List{i}, sopsfile.Item{Key: "k" + strconv.Itoa(i), Value: i}
		}
		trees = append(trees,
			nestedAround(depth, sopsfile.Mapping{{Key: "l", Value: list}}),
			nestedAround(depth, sopsfile.Mapping{{Key: "n", Value: nested}}),
			nestedAround(depth, sopsfile.Mapping{{Key: "m", Value: mapping}}),
			nestedAround(depth, sopsfile.Mapping{{Key: "b", Value: []byte(strings.Repeat("b", 300))}}),
			nestedAround(depth, sopsfile.Mapping{{Key: "s", Value: strings.Repeat("line\n", 300)}}),
		)
	}
	for range 400 {
		trees = append(trees, randomMapping(rng, 0))
	}
	for i, tree := range trees {
		yamlBound, err := secrets.EncodingBound(tree, false)
		if err != nil {
			t.Fatalf("tree %d: %v", i, err)
		}
		jsonBound, err := secrets.EncodingBound(tree, true)
		if err != nil {
			t.Fatalf("tree %d: %v", i, err)
		}
		check := func(what string, out []byte, bound int) {
			t.Helper()
			if len(out) > bound {
				t.Errorf("tree %d: %s prints %d bytes, over its bound %d", i, what, len(out), bound)
			}
		}
		if out, err := sopsfile.EncodeYAML(tree); err == nil {
			check("EncodeYAML", out, yamlBound)
			if doc, err := dec.Parse("t.yaml", out, secrets.FormatYAML); err == nil {
				b, _ := secrets.EncodingBound(doc.Branches()[0], false)
				if v, err := doc.Whole("t.yaml"); err == nil {
					check("the decryptor's YAML", v.Bytes(), b)
				}
			}
		}
		if list, ok := randomValue(rng, 1).(sopsfile.List); ok {
			b, _ := secrets.EncodingBound(list, false)
			if out, err := sopsfile.EncodeYAML(list); err == nil {
				check("EncodeYAML of a list", out, b)
			}
		}
		for _, f := range []sopsfile.Format{sopsfile.YAML, sopsfile.JSON} {
			out, err := (&sopsfile.Document{Format: f, Branches: []sopsfile.Mapping{tree}}).Plaintext()
			if err != nil {
				continue
			}
			bound := yamlBound
			if f == sopsfile.JSON {
				bound = jsonBound
			}
			check("sopsfile "+string(f), out, bound)
			if f == sopsfile.JSON {
				if doc, err := dec.Parse("t.json", out, secrets.FormatJSON); err == nil {
					b, _ := secrets.EncodingBound(doc.Branches()[0], true)
					if v, err := doc.Whole("t.json"); err == nil {
						check("the decryptor's JSON", v.Bytes(), b)
					}
				}
			}
		}
	}
}

// TestEncodingBoundIsCloseForAKubeconfig: for an ordinary kubeconfig the
// bound is within a small factor of what is printed, so that the limit is
// not reached far below MaxFileSize.
func TestEncodingBoundIsCloseForAKubeconfig(t *testing.T) {
	testenv.UseDemoKey(t)
	data, err := os.ReadFile(secretstest.SrcFixture("kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testsops.NewDecryptor().Decrypt("kubeconfig.yaml", data, secrets.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := doc.Whole("kubeconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bound, _ := secrets.EncodingBound(doc.Branches()[0], false)
	if bound > 3*whole.Len() {
		t.Errorf("a %d-byte kubeconfig is bounded at %d bytes: more than 3 times its size", whole.Len(), bound)
	}
}

var pieces = []string{"a", "b", "Z", "0", " ", "  ", "\n", "\n\n", "\r", "\t", "\x01", "\x7f", "'", `"`, `\`, "&", "<", ">", ":", ": ", "- ", "#", " #", "?", "|", "{", "[", ",", "*", "!", "%", "@", "`", "é", "世", "\u0085", "\u2028", "\u2029", "\ufeff", "\ufffd", "\u009f", "😀", "\xff", "\xc3", "true", "null", "~", "0x1F", "1e3", "---", "..."}

func randomText(rng *rand.Rand, max int) string {
	var b strings.Builder
	for range rng.IntN(max) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

func randomMapping(rng *rand.Rand, depth int) sopsfile.Mapping {
	m := sopsfile.Mapping{}
	for range rng.IntN(6) {
		if rng.IntN(8) == 0 {
			m = append(m, sopsfile.Item{Comment: &sopsfile.Comment{Text: strings.ReplaceAll(randomText(rng, 6), "\n", ""), Inline: rng.IntN(2) == 0}})
			continue
		}
		key := randomText(rng, 8)
		if rng.IntN(10) == 0 {
			key = strings.Repeat("k", 130+rng.IntN(20)) // YAML prints it as a complex key
		}
		m = append(m, sopsfile.Item{Key: key, Value: randomValue(rng, depth+1)})
	}
	return m
}

func randomValue(rng *rand.Rand, depth int) any {
	n := 11
	if depth > 14 {
		n = 9 // scalars only
	}
	switch rng.IntN(n) {
	case 0:
		return rng.IntN(1<<30) - 1<<29
	case 1:
		return []float64{0, 1.5, -1e300, 1e-300, 1e21, 123456789.123456789}[rng.IntN(6)]
	case 2:
		return rng.IntN(2) == 0
	case 3:
		return nil
	case 4:
		return time.Date(2001, 12, 14, 21, 59, 43, 100, time.FixedZone("x", -5*3600))
	case 5:
		return []byte(randomText(rng, 6))
	case 6, 7, 8:
		s := randomText(rng, 40)
		if rng.IntN(10) == 0 {
			s = strings.Repeat(s+"\n", 1+rng.IntN(20))
		}
		return s
	case 9:
		return randomMapping(rng, depth)
	default:
		l := sopsfile.List{}
		for range rng.IntN(5) {
			if rng.IntN(8) == 0 {
				l = append(l, sopsfile.Comment{Text: "c" + strconv.Itoa(rng.IntN(100))})
				continue
			}
			l = append(l, randomValue(rng, depth+1))
		}
		return l
	}
}
