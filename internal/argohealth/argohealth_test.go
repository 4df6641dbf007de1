package argohealth_test

import (
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/argohealth"
)

func TestObjectDecoding(t *testing.T) {
	obj := map[string]any{
		"spec": map[string]any{
			"list":  []any{"a", map[string]any{"k": "v"}},
			"float": 3.0,
			"int64": int64(7),
			"int":   8,
			"bool":  true,
			"null":  nil,
		},
	}
	script := `
local s = obj.spec
if #s.list ~= 2 or s.list[1] ~= "a" or s.list[2].k ~= "v" then return {status="Degraded", message="list"} end
if s.float ~= 3 or s.int64 ~= 7 or s.int ~= 8 then return {status="Degraded", message="numbers"} end
if type(s.float) ~= "number" or type(s.bool) ~= "boolean" or s.bool ~= true then return {status="Degraded", message="types"} end
if s.null ~= nil or s.absent ~= nil then return {status="Degraded", message="nil"} end
return {status="Healthy", message="ok"}
`
	for _, libs := range []bool{true, false} {
		got, err := argohealth.Run(script, obj, libs)
		if err != nil || got != (argohealth.Status{Status: "Healthy", Message: "ok"}) {
			t.Errorf("openLibs=%v: %+v, %v", libs, got, err)
		}
	}
}

func TestLibraries(t *testing.T) {
	// table and base are always there; string, math and os only with open libs.
	always := `local t = {} table.insert(t, "Healthy") return {status=t[1], message=tostring(#t)}`
	for _, libs := range []bool{true, false} {
		if got, err := argohealth.Run(always, nil, libs); err != nil || got.Status != "Healthy" || got.Message != "1" {
			t.Errorf("openLibs=%v: %+v, %v", libs, got, err)
		}
	}
	for _, script := range []string{
		`return {status=string.format("%s", "Healthy")}`,
		`return {status="Healthy", message=tostring(math.floor(1.5))}`,
		`return {status="Healthy", message=tostring(os.time())}`,
	} {
		if _, err := argohealth.Run(script, nil, true); err != nil {
			t.Errorf("with open libs %q: %v", script, err)
		}
		if _, err := argohealth.Run(script, nil, false); err == nil {
			t.Errorf("without open libs %q ran; the library must be missing", script)
		}
	}
}

func TestReturnValues(t *testing.T) {
	cases := []struct {
		script string
		want   argohealth.Status
		errHas string
	}{
		{script: `return {status="Progressing"}`, want: argohealth.Status{Status: "Progressing"}},
		{script: `return {status="Suspended", message="m", extra=1}`, want: argohealth.Status{Status: "Suspended", Message: "m"}},
		{script: `return {status="Ready"}`, want: argohealth.Status{Status: "Unknown", Message: argohealth.InvalidHealthStatus}},
		{script: `return {message="no status"}`, want: argohealth.Status{Status: "Unknown", Message: argohealth.InvalidHealthStatus}},
		{script: `return {}`, errHas: "cannot unmarshal array"},
		{script: `return "Healthy"`, errHas: "expect table output from Lua script, not string"},
		{script: `local x = 1`, errHas: "expect table output from Lua script, not nil"},
		{script: `return {status=obj.missing.field}`, errHas: "attempt to index"},
		{script: `while true do end`, errHas: "context deadline exceeded"},
	}
	for _, c := range cases {
		got, err := argohealth.Run(c.script, map[string]any{}, true)
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("%s: err = %v, want %q", c.script, err, c.errHas)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.script, got, err, c.want)
		}
	}
}
