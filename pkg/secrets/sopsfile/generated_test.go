package sopsfile_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// richYAML exercises every YAML feature the stores handle: comments of
// every placement (document, head, inline, foot, inside lists, with the
// markers the comment rules look for), all scalar types, multi-line and
// unicode strings, nested mappings and lists, lists of lists, explicit
// tags, and keys that the suffix and regex rules select.
const richYAML = `# document head comment
apiVersion: v1 # inline comment on a scalar
kind: Secret
metadata:
    name: demo
    labels:
        team: blue # owner
    annotations:
        note: "line one\nline two"
data:
    # the password follows
    password: hunter2-unique-secret-1
    port: 5432
    ratio: 0.75
    negative: -12
    big: 12345678901234
    huge_float: 1.5e+300
    enabled: true
    disabled: false
    nothing: null
    tilde: ~
    empty: ""
    unicode: "héllo wörld ✓ 日本語 🙂"
    multiline: |
        first line
        second line
    folded: >
        folded text
        continues here
    list:
        - one-list-secret # first
        # between items
        - 2
        - 3.5
        - true
        - nested:
              key: nested-list-secret
          other: value-two
        - [a, b, c]
        - []
        - {}
        # foot of list
    deep:
        a:
            b:
                c: deepest-secret-value
    ts: !!timestamp 2024-01-02T03:04:05Z
    when: 2024-01-02
    quoted_true: "true"
    quoted_int: "42"
    yes_word: yes
    binary: !!binary aGVsbG8gYmluYXJ5
    colon: "a: b"
    # sops:enc
    marked_secret: comment-marked-secret
    # sops:plain
    marked_plain: comment-marked-plain
stringData:
    token_unencrypted: visible-token-value
    api_secret: suffix-secret-value
    host_public: public-host-value
# foot comment of the document
`

const multiDocYAML = `first: doc-one-secret
list:
    - a
---
# second document
second: doc-two-secret
nested:
    key: 7
`

const richJSON = `{
	"name": "demo",
	"password": "json-secret-value",
	"port": 5432,
	"ratio": 0.25,
	"big": 9007199254740993,
	"exp": 1.5e10,
	"neg": -3,
	"yes": true,
	"no": false,
	"none": null,
	"empty": "",
	"html": "<a href=\"x\">&amp;</a>",
	"unicode": "héllo ✓ 日本語",
	"escapes": "tab\there\nnewline \\ backslash \"quote\"",
	"list": [1, "two", 3.5, false, null, {"k": "list-object-secret"}, [1, [2, [3]]], [], {}],
	"nested": {"deeper": {"deepest": "json-deep-secret"}},
	"api_secret": "json-suffix-secret",
	"host_public": "json-public-host",
	"token_unencrypted": "json-visible-token",
	"dup": "first",
	"dup": "second"
}
`

const richDotenv = `# a comment
PX_TOKEN=dotenv-secret-token
EMPTY=
WITH_EQUALS=a=b=c
MULTI=line one\nline two
UNICODE=héllo ✓
API_SECRET=dotenv-suffix-secret
HOST_PUBLIC=dotenv-public-host
CARRIAGE=value-with-cr` + "\r" + `

# trailing comment
`

const richINI = `; top comment
global_key = global-value

[database]
; the password
password = ini-secret-password
port = 5432
host_public = ini-public-host

[api]
token = ini-secret-token
# hash comment
api_secret = ini-suffix-secret
quoted = "quoted value"
`

var richBinary = append([]byte("binary secret payload\x00\x01\x02 with a newline\nand unicode ✓ and invalid utf-8 \xff\xfe"), bytes.Repeat([]byte("0123456789"), 50)...)

type ruleCase struct {
	name   string
	global []string
	args   []string
}

// ruleCases are the selection rules, each with and without
// mac_only_encrypted.
func ruleCases(formatName string) []ruleCase {
	base := []ruleCase{
		{name: "default"},
		{name: "encrypted-regex", args: []string{"--encrypted-regex", "^(data|stringData|password|token|list|nested|api|database|PX_TOKEN)$"}},
		{name: "unencrypted-regex", args: []string{"--unencrypted-regex", "^(metadata|kind|apiVersion|name|port|host_public|HOST_PUBLIC)$"}},
		{name: "encrypted-suffix", args: []string{"--encrypted-suffix", "_secret"}},
		{name: "encrypted-suffix-upper", args: []string{"--encrypted-suffix", "_SECRET"}},
		{name: "unencrypted-suffix", args: []string{"--unencrypted-suffix", "_public"}},
	}
	if formatName == "yaml" {
		base = append(base,
			ruleCase{name: "encrypted-comment-regex", global: []string{"--encrypted-comment-regex", "sops:enc"}},
			ruleCase{name: "unencrypted-comment-regex", global: []string{"--unencrypted-comment-regex", "sops:plain"}},
		)
	}
	var out []ruleCase
	for _, c := range base {
		out = append(out, c)
		out = append(out, ruleCase{name: c.name + "+mac-only", global: append([]string{"--mac-only-encrypted"}, c.global...), args: c.args})
	}
	return out
}

// TestGeneratedFilesMatchSOPS encrypts rich files of every format with the
// sops CLI under every selection rule (with and without
// mac_only_encrypted) and requires sopsfile to decrypt them to exactly what
// the sops library prints, and to refuse them once tampered with.
func TestGeneratedFilesMatchSOPS(t *testing.T) {
	testenv.UseDemoKey(t)
	cli := newSOPSCLI(t)
	demo := recipientOf(t, testenv.DemoKeyFile())
	inputs := []struct {
		file      string
		plaintext []byte
	}{
		{"rich.yaml", []byte(richYAML)},
		{"multi.yaml", []byte(multiDocYAML)},
		{"rich.json", []byte(richJSON)},
		{"rich.env", []byte(richDotenv)},
		{"rich.ini", []byte(richINI)},
		{"rich.bin", richBinary},
	}
	for _, in := range inputs {
		format := formatForPath(in.file)
		for _, rc := range ruleCases(string(format)) {
			if format == sopsfile.Binary && rc.name != "default" && rc.name != "default+mac-only" {
				continue
			}
			name := in.file + "/" + rc.name
			t.Run(name, func(t *testing.T) {
				enc := cli.encrypt(in.file, in.plaintext, rc.global, append([]string{"--age", demo}, rc.args...)...)
				doc := requireSame(t, name, enc, format)
				// (The sops CLI ignores --mac-only-encrypted for binary files.)
				if format != sopsfile.Binary && strings.Contains(rc.name, "mac-only") != doc.Metadata.MACOnlyEncrypted {
					t.Errorf("MACOnlyEncrypted = %v", doc.Metadata.MACOnlyEncrypted)
				}
				requireTamperDetected(t, name, enc, format)
			})
		}
	}
}

// requireTamperDetected changes lastmodified, and then one encrypted value,
// and requires both libraries to refuse each.
func requireTamperDetected(t *testing.T, name string, enc []byte, format sopsfile.Format) {
	t.Helper()
	lm := regexp.MustCompile(`lastmodified\W+(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)`)
	sub := lm.FindSubmatchIndex(enc)
	if sub == nil {
		t.Fatalf("%s: no lastmodified", name)
	}
	loc := sub[2:4]
	stamp, _ := time.Parse(time.RFC3339, string(enc[loc[0]:loc[1]]))
	changed := append(append(append([]byte{}, enc[:loc[0]]...), stamp.Add(time.Second).Format(time.RFC3339)...), enc[loc[1]:]...)
	_, _, fullErr, leanErr, _ := decryptBoth(t, changed, format)
	if fullErr == nil {
		t.Fatalf("%s: sops accepts a changed lastmodified", name)
	}
	requireKind(t, name+" lastmodified", leanErr, sopsfile.ErrTampered)

	// Flip a character of the first encrypted string (comments are
	// skipped: one that does not decrypt is taken for a plaintext comment,
	// by sops too).
	dataRE := regexp.MustCompile(`ENC\[AES256_GCM,data:([A-Za-z0-9+/]{4})[^\]]*type:str\]`)
	m := dataRE.FindSubmatchIndex(enc)
	if m == nil {
		t.Fatalf("%s: no encrypted value", name)
	}
	flipped := append([]byte{}, enc...)
	c := flipped[m[2]]
	if c == 'A' {
		flipped[m[2]] = 'B'
	} else {
		flipped[m[2]] = 'A'
	}
	_, _, fullErr, leanErr, _ = decryptBoth(t, flipped, format)
	if fullErr == nil {
		t.Fatalf("%s: sops accepts a changed value", name)
	}
	requireKind(t, name+" value", leanErr, sopsfile.ErrTampered)
}

// TestGeneratedTreeValues checks the typed tree of a rich YAML file: what
// a caller reads, beyond the printed plaintext.
func TestGeneratedTreeValues(t *testing.T) {
	testenv.UseDemoKey(t)
	cli := newSOPSCLI(t)
	enc := cli.encrypt("rich.yaml", []byte(richYAML), nil, "--age", recipientOf(t, testenv.DemoKeyFile()))
	doc := requireSame(t, "rich.yaml", enc, sopsfile.YAML)
	ts, _ := time.Parse(time.RFC3339, "2024-01-02T03:04:05Z")
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"data", "password"}, "hunter2-unique-secret-1"},
		{[]any{"data", "port"}, 5432},
		{[]any{"data", "ratio"}, 0.75},
		{[]any{"data", "big"}, 12345678901234},
		{[]any{"data", "enabled"}, true},
		{[]any{"data", "disabled"}, false},
		{[]any{"data", "nothing"}, nil},
		{[]any{"data", "empty"}, ""},
		{[]any{"data", "unicode"}, "héllo wörld ✓ 日本語 🙂"},
		{[]any{"data", "multiline"}, "first line\nsecond line\n"},
		{[]any{"data", "folded"}, "folded text continues here\n"},
		{[]any{"data", "list", 0}, "one-list-secret"},
		{[]any{"data", "list", 1}, 2},
		{[]any{"data", "list", 4, "nested", "key"}, "nested-list-secret"},
		{[]any{"data", "list", 5, 2}, "c"},
		{[]any{"data", "deep", "a", "b", "c"}, "deepest-secret-value"},
		{[]any{"data", "ts"}, ts},
		{[]any{"data", "when"}, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{[]any{"data", "quoted_true"}, "true"},
		{[]any{"data", "yes_word"}, "yes"},
		{[]any{"data", "binary"}, "hello binary"},
		{[]any{"stringData", "token_unencrypted"}, "visible-token-value"},
	}
	for _, c := range checks {
		got := lookup(t, doc, c.path...)
		if tm, ok := c.want.(time.Time); ok {
			if g, ok := got.(time.Time); !ok || !g.Equal(tm) {
				t.Errorf("%v = %#v, want %v", c.path, got, tm)
			}
			continue
		}
		if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", c.want, c.want) {
			t.Errorf("%v = %T %#v, want %T %#v", c.path, got, got, c.want, c.want)
		}
	}
	// The metadata stays out of the tree.
	if _, found := doc.Branches[0].Get("sops"); found {
		t.Error("the sops metadata is part of the tree")
	}
	if got := doc.Metadata.Keys(); len(got) != 1 || got[0] != "age "+recipientOf(t, testenv.DemoKeyFile()) {
		t.Errorf("Keys() = %v", got)
	}
}
