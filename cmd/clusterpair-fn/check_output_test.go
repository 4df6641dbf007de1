//go:build !lean

package main

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
)

// TestCheckOutputFormats runs check -o json and -o junit over the examples
// and reads the reports back; an unknown format fails before anything runs.
func TestCheckOutputFormats(t *testing.T) {
	testenv.UseDemoKey(t)
	examples := testenv.Path("examples", "kustomize")
	out, _, err := execute(t, "", "check", "-o", "json", examples)
	if err != nil {
		t.Fatalf("check -o json: %v\n%s", err, out)
	}
	var rep check.JSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check -o json is not JSON: %v\n%s", err, out)
	}
	if rep.Failed || rep.Summary.Pairs == 0 || rep.Summary.OK != rep.Summary.Pairs || rep.Pairs[0].Name != "app/dr-west" {
		t.Errorf("report %+v", rep)
	}
	out, _, err = execute(t, "", "check", "--output=junit", examples)
	if err != nil {
		t.Fatalf("check -o junit: %v\n%s", err, out)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil || doc.Tests != rep.Summary.Pairs || doc.Failures != 0 {
		t.Errorf("check -o junit: %+v, %v\n%s", doc, err, out)
	}
	out, _, err = execute(t, "", "check", "-o", "yaml", examples)
	if err == nil || !strings.Contains(err.Error(), `-o "yaml": want one of table, json, junit`) || out != "" {
		t.Errorf("check -o yaml: %v, output %q", err, out)
	}
}
