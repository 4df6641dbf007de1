package secrets_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// formatted returns v printed in every way a careless caller might print it.
func formatted(v secrets.Value) map[string]string {
	type exported struct{ Token secrets.Value }
	type unexported struct {
		name  string
		token secrets.Value
	}
	type withPointer struct{ token *secrets.Value }
	out := map[string]string{}
	for _, verb := range []string{"%v", "%s", "%#v", "%+v", "%q", "%x", "%X", "% x", "%d", "%o", "%b", "%c", "%U", "%p", "%t", "%e", "%10.3s", "%-40v", "%T"} {
		out[verb] = fmt.Sprintf(verb, v)
		out["&"+verb] = fmt.Sprintf(verb, &v)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		out["exported field "+verb] = fmt.Sprintf(verb, exported{v})
		out["unexported field "+verb] = fmt.Sprintf(verb, unexported{"n", v})
		out["pointer to unexported "+verb] = fmt.Sprintf(verb, &unexported{"n", v})
		out["unexported pointer field "+verb] = fmt.Sprintf(verb, withPointer{&v})
		out["slice "+verb] = fmt.Sprintf(verb, []secrets.Value{v, v})
		out["map "+verb] = fmt.Sprintf(verb, map[string]secrets.Value{"k": v})
		out["any slice "+verb] = fmt.Sprintf(verb, []any{v})
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln("token", v)
	out["Errorf %w-less"] = fmt.Errorf("bad token %v", v).Error()
	out["errors.New"] = errors.New(fmt.Sprint(v)).Error()
	var sb strings.Builder
	log.New(&sb, "", 0).Printf("%v %+v", v, unexported{"n", v})
	out["log"] = sb.String()
	j, _ := json.Marshal(v)
	out["json"] = string(j)
	j, _ = json.Marshal(exported{v})
	out["json field"] = string(j)
	return out
}

func TestValueNeverPrintsItsContent(t *testing.T) {
	testenv.UseDemoKey(t)
	known := append([]string{"px-0123456789abcdef0123456789abcdef"}, secretstest.Canaries(t)...)
	// Real values, as Resolve returns them.
	res := fixtureResolver(t)
	var values []secrets.Value
	for _, ref := range []secrets.Ref{
		{File: "secrets.yaml", Key: "portworx.token"},
		{File: "px.env", Key: "PX_TOKEN"},
		{File: "token.enc"},
		{File: "kubeconfig.yaml"},
		{File: "kubeconfig.yaml", Key: "users.0.user.client-key-data"},
	} {
		values = append(values, resolveOK(t, res, ref))
	}
	values = append(values, secrets.NewValue([]byte(known[0])))
	for _, v := range values {
		for how, text := range formatted(v) {
			secretstest.AssertNoSecret(t, text, known...)
			if strings.Contains(text, v.Reveal()) {
				t.Errorf("%s reveals the value: %s", how, secretstest.Redact(text, []string{v.Reveal()}))
			}
			// The decimal bytes of the value (as %d of a []byte would print them).
			if dec := fmt.Sprint(v.Bytes()[:8]); strings.Contains(text, strings.Trim(dec, "[]")) {
				t.Errorf("%s reveals the value's bytes: %s", how, secretstest.Redact(text, nil))
			}
		}
	}
	v := values[len(values)-1]
	for verb, want := range map[string]string{
		"%v": "<redacted>", "%s": "<redacted>", "%+v": "<redacted>", "%#v": "secrets.Value{<redacted>}",
		"%q": `"<redacted>"`, "%d": "<redacted>", "%T": "secrets.Value",
	} {
		if got := fmt.Sprintf(verb, v); got != want {
			t.Errorf("Sprintf(%q) = %q, want %q", verb, got, want)
		}
	}
	if got := fmt.Sprintf("%v %s %#v", v, v, v); got != "<redacted> <redacted> secrets.Value{<redacted>}" {
		t.Errorf("Sprintf(%%v %%s %%#v) = %q", got)
	}
}

func resolveOK(t *testing.T, res *secrets.Resolver, ref secrets.Ref) secrets.Value {
	t.Helper()
	v, err := res.Resolve(ref)
	if err != nil {
		t.Fatalf("Resolve(%+v): %v", ref, err)
	}
	if v.Len() < 16 {
		t.Fatalf("Resolve(%+v): only %d bytes", ref, v.Len())
	}
	return v
}

func TestValueAccessors(t *testing.T) {
	testenv.Isolate(t)
	b := []byte("px-accessor-0123456789")
	v := secrets.NewValue(b)
	if v.Reveal() != string(b) || string(v.Bytes()) != string(b) || v.Len() != len(b) {
		t.Fatalf("accessors: %q %q %d", v.Reveal(), v.Bytes(), v.Len())
	}
	if v.String() != "<redacted>" || v.GoString() != "secrets.Value{<redacted>}" {
		t.Fatalf("String/GoString: %q %q", v.String(), v.GoString())
	}
	var zero secrets.Value
	if zero.Len() != 0 || zero.Reveal() != "" || len(zero.Bytes()) != 0 {
		t.Fatalf("zero Value: %q", zero.Reveal())
	}
	if fmt.Sprint(zero) != "<redacted>" {
		t.Fatalf("zero Value prints %q", fmt.Sprint(zero))
	}
	empty := secrets.NewValue(nil)
	if empty.Len() != 0 || empty.Reveal() != "" {
		t.Fatal("NewValue(nil) is not empty")
	}
}
