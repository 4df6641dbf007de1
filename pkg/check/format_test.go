package check

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// sampleReport has an ok pair, a pair with a warning and a skipped live
// check, and a failed pair (an error and a failed live check).
func sampleReport() *Report {
	return &Report{Live: true, Pairs: []*Pair{
		{Request: Request{Path: "pairs/a/clusterpair.yaml"}, Side: "source", Name: "app/a", Server: "https://a.example:6443", Mode: "async-dr", Storage: "px-a:9001", Rendered: true,
			Live: []LiveResult{{Check: CheckAPIServer, Status: LivePassed, Detail: "v1.34.2"}}},
		{Request: Request{Path: "pairs/b/clusterpair.yaml", Index: 1}, Side: "destination", Name: "app/b", Rendered: true,
			Findings: diag.Findings{{Severity: diag.Warning, Field: "spec.destination.kubeconfig.file", Message: "exec plugin runs in Stork"}},
			Live:     []LiveResult{{Check: CheckPortworx, Status: LiveSkipped, Detail: "sync-dr has no endpoint"}}},
		{Request: Request{Path: "pairs/c/clusterpair.yaml"}, Side: "source", Name: "app/c",
			Findings: diag.Findings{{Severity: diag.Error, Field: "spec.storage.token.file", File: "px-token.enc", Message: "cannot decrypt <&>"}},
			Live:     []LiveResult{{Check: CheckAPIServer, Status: LiveFailed, Detail: "connection refused"}}},
	}}
}

func TestWriteJSON(t *testing.T) {
	var out bytes.Buffer
	if err := sampleReport().WriteFormat(&out, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var got JSONReport
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("the JSON does not decode into JSONReport: %v", err)
	}
	if got.APIVersion != "check.clusterpair.dev/v1alpha1" || !got.Live || !got.Failed {
		t.Errorf("header %+v", got)
	}
	if got.Summary != (JSONSummary{Pairs: 3, OK: 1, Warnings: 1, Failed: 1}) {
		t.Errorf("summary %+v", got.Summary)
	}
	results := []string{}
	for _, p := range got.Pairs {
		results = append(results, p.Result)
	}
	if strings.Join(results, ",") != "ok,warning,failed" {
		t.Errorf("results %v", results)
	}
	c := got.Pairs[2]
	if c.File != "pairs/c/clusterpair.yaml" || len(c.Findings) != 1 || c.Findings[0].Message != `file "px-token.enc": cannot decrypt <&>` || c.Findings[0].Field != "spec.storage.token.file" || c.Findings[0].Severity != "error" || c.Live[0].Status != "failed" {
		t.Errorf("failed pair %+v", c)
	}
	if got.Pairs[0].Findings == nil {
		t.Error("findings must be [] rather than null for a clean pair")
	}
}

func TestWriteJSONEmptyReport(t *testing.T) {
	var out bytes.Buffer
	if err := (&Report{}).WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"pairs": []`) {
		t.Errorf("an empty report must list no pairs as []:\n%s", out.String())
	}
}

func TestWriteJUnit(t *testing.T) {
	var out bytes.Buffer
	if err := sampleReport().WriteFormat(&out, FormatJUnit); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "<?xml") {
		t.Errorf("no XML header:\n%s", out.String())
	}
	var doc junitSuites
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out.String())
	}
	if doc.Tests != 3 || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 3 {
		t.Fatalf("counts: %+v", doc)
	}
	cs := doc.Suites[0].Cases
	if cs[0].Failure != nil || cs[1].Failure != nil || cs[2].Failure == nil {
		t.Errorf("only the third pair fails: %+v", cs)
	}
	if cs[2].ClassName != "pairs/c/clusterpair.yaml" || cs[2].Name != "app/c (source side)" {
		t.Errorf("case %+v", cs[2])
	}
	f := cs[2].Failure
	if f.Message != `error: spec.storage.token.file: file "px-token.enc": cannot decrypt <&>` || !strings.Contains(f.Text, "live: "+CheckAPIServer+": failed") {
		t.Errorf("failure %+v", f)
	}
	if !strings.Contains(cs[1].SystemOut, "warning: spec.destination.kubeconfig.file") || !strings.Contains(cs[1].SystemOut, "skipped") {
		t.Errorf("warnings and skipped checks belong in system-out: %q", cs[1].SystemOut)
	}
}

func TestWriteFormatRejectsUnknown(t *testing.T) {
	err := sampleReport().WriteFormat(&bytes.Buffer{}, "yaml")
	if err == nil || !strings.Contains(err.Error(), `output format "yaml": want one of table, json, junit`) {
		t.Errorf("err = %v", err)
	}
}

func TestSummaryOnePair(t *testing.T) {
	r := &Report{Pairs: sampleReport().Pairs[:1]}
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 pair checked by rendering it as the function does: 1 ok") {
		t.Errorf("summary of one pair:\n%s", out.String())
	}
}

// TestWriteTableNamesTheFile: a finding about a file is printed as the
// function words it in its results, the file before the message.
func TestWriteTableNamesTheFile(t *testing.T) {
	var out bytes.Buffer
	if err := sampleReport().Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\npairs/c/clusterpair.yaml (app/c, source side):\n  error: spec.storage.token.file: file \"px-token.enc\": cannot decrypt <&>\n",
		"\n  warning: spec.destination.kubeconfig.file: exec plugin runs in Stork\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
}
