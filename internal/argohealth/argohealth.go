// Package argohealth runs Argo CD resource health scripts (Lua) the way the
// Argo CD application controller does (argoproj/argo-cd util/lua/lua.go), so
// that a health check can be tested here before it is configured in
// argocd-cm or proposed upstream:
//
//   - gopher-lua, with the standard libraries opened only when asked
//     (argocd-cm scripts get them only with
//     resource.customizations.useOpenLibs.<group>_<kind>: true; Argo CD's
//     built-in scripts and its own tests always get them);
//   - the package, base and table libraries always opened;
//   - the object in the global `obj`: maps become tables keyed by string,
//     slices 1-based arrays, numbers LNumber, booleans LBool, null nil;
//   - a one-second limit;
//   - the value left on the stack must be a table; it is encoded to JSON
//     (an empty table as []) and decoded into {status, message}; a status
//     outside Healthy, Progressing, Degraded, Suspended, Missing and Unknown
//     becomes Unknown with "Lua returned an invalid health status".
//
// Not reproduced: Argo CD's "safe" os library (os.time, os.date). A script
// using it fails here; the scripts in this repository do not use it.
//
// The test-file helpers read Argo CD's resource_customizations layout:
// <group>/<Kind>/{health.lua, health_test.yaml, testdata/*.yaml}.
package argohealth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

// Timeout is Argo CD's limit on one health script run.
const Timeout = time.Second

// InvalidHealthStatus is the message Argo CD reports with status Unknown
// when a script returns a status it does not know.
const InvalidHealthStatus = "Lua returned an invalid health status"

// Status is Argo CD's HealthStatus (gitops-engine pkg/health).
type Status struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

var validStatuses = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

// Run runs a health script against obj (a decoded Kubernetes object, as
// from JSON or sigs.k8s.io/yaml) and returns the health it reports.
func Run(script string, obj map[string]any, openLibs bool) (Status, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Status{}, fmt.Errorf("opening the Lua %s library: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return Status{}, err
	}
	ret := l.Get(-1)
	if ret.Type() != lua.LTTable {
		return Status{}, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
	v, err := fromLua(ret)
	if err != nil {
		return Status{}, err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return Status{}, err
	}
	var hs Status
	if err := json.Unmarshal(data, &hs); err != nil {
		return Status{}, err
	}
	if !validStatuses[hs.Status] {
		return Status{Status: "Unknown", Message: InvalidHealthStatus}, nil
	}
	return hs, nil
}

// toLua converts a decoded object the way Argo CD's decodeValue does.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetH(lua.LString(k), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

var errUnencodable = errors.New("cannot encode the Lua value to JSON")

// fromLua converts a Lua value to a JSON-encodable value as gopher-json
// does: a table with an array part is an array, any other table an object
// with string keys, an empty table an empty array.
func fromLua(v lua.LValue) (any, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%w: %v", errUnencodable, f)
		}
		return f, nil
	case *lua.LTable:
		if n := v.MaxN(); n > 0 {
			arr := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				item, err := fromLua(v.RawGetInt(i))
				if err != nil {
					return nil, err
				}
				arr = append(arr, item)
			}
			return arr, nil
		}
		obj := map[string]any{}
		var err error
		v.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			key, ok := k.(lua.LString)
			if !ok {
				err = fmt.Errorf("%w: a table key of type %s", errUnencodable, k.Type())
				return
			}
			obj[string(key)], err = fromLua(val)
		})
		if err != nil {
			return nil, err
		}
		if len(obj) == 0 {
			return []any{}, nil
		}
		return obj, nil
	}
	return nil, fmt.Errorf("%w: a %s", errUnencodable, v.Type())
}

// Test is one entry of an Argo CD health_test.yaml.
type Test struct {
	InputPath    string `json:"inputPath"`
	HealthStatus Status `json:"healthStatus"`
}

// LoadTests reads dir/health_test.yaml.
func LoadTests(dir string) ([]Test, error) {
	data, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
	if err != nil {
		return nil, err
	}
	var file struct {
		Tests []Test `json:"tests"`
	}
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "health_test.yaml"), err)
	}
	if len(file.Tests) == 0 {
		return nil, fmt.Errorf("%s: no tests", filepath.Join(dir, "health_test.yaml"))
	}
	return file.Tests, nil
}

// LoadObject reads a YAML object as Argo CD's test does (sigs.k8s.io/yaml
// into a map, so numbers are float64).
func LoadObject(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%s: empty", path)
	}
	return obj, nil
}
