package sopsfile

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestFastScalarNodeIsEncode checks the shortcut against yaml's own
// Node.Encode, for chosen and random strings and other scalars.
func TestFastScalarNodeIsEncode(t *testing.T) {
	values := []any{
		0, -1, 42, 1 << 62, -(1 << 62), true, false, nil,
		"a", "Y", "y", "N", "no", "No", "NO", "yes", "on", "Off", "true", "True", "TRUE", "false", "null", "Null", "NULL",
		"nan", "NaN", "inf", "Inf", "e", "E5", "x1", "destination", "destination-admin", "https", "a.b/c", "v1",
		"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJiRENDQVJPZ0F3SUJBZ0lCQVRBS0JnZ3Foa2pPUFFRREFqQWVNUnd3R2dZRFZRUURFeE5rWlcxdkxXUmwK==",
		"a+b", "a=b", "a-", "a_", "a.", "a/", "Z9", "abc=", "px-4ac2904febfd205c0c4385b783ab440d15d8bf530e98875a",
	}
	chars := []byte("abcyYnNoOtTfFeE019_./+=- :#'\"\\\n\t,[]{}&*!|>%@`?~<")
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		n := 1 + r.IntN(8)
		b := make([]byte, n)
		for j := range b {
			b[j] = chars[r.IntN(len(chars))]
		}
		values = append(values, string(b))
	}
	fast := 0
	for _, v := range values {
		got, ok := fastScalarNode(v)
		if !ok {
			continue
		}
		fast++
		var want yaml.Node
		if err := want.Encode(v); err != nil {
			t.Fatalf("Encode(%#v): %v", v, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("fastScalarNode(%#v) = %+v, Node.Encode gives %+v", v, *got, want)
		}
	}
	if fast < 1000 {
		t.Fatalf("only %d values took the fast path", fast)
	}
}
