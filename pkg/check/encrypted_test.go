//go:build !lean

package check

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// TestEncryptedOutputIsCheckedLive: a request whose output is encrypted
// (spec.output.encrypt) to a recipient whose key this machine does not
// hold is described and probed like any other: check takes the pair the
// function rendered before encrypting it. (It used to show the destination
// as "(encrypted)" and skip the live checks.) The lean build hands
// output.encrypt over to the full one, whose check this is.
func TestEncryptedOutputIsCheckedLive(t *testing.T) {
	testenv.UseDemoKey(t)
	api := startAPIServer(t)
	px := startPortworx(t)
	other := testenv.Recipient(t, testenv.OtherKeyFile())
	spec := pairSpec{name: "sealed", server: api.url, caPEM: api.ca.CertPEM, token: api.token, pxIP: "127.0.0.1", pxPort: px.addr.Port, pxToken: "px-sealed-" + strings.Repeat("4", 24),
		extraSpec: "  output:\n    encrypt:\n      age: ['" + other + "']\n"}
	dir := writePair(t, filepath.Join(t.TempDir(), spec.name), spec)
	r, out := run(t, Options{Paths: []string{dir}, Live: true})
	if len(r.Pairs) != 1 {
		t.Fatalf("report:\n%s", out)
	}
	p := r.Pairs[0]
	if !p.Rendered || p.Failed() || p.Name != "app/sealed" || p.Server != diag.RedactURL(api.url) || p.Storage == "" {
		t.Errorf("pair: rendered %v failed %v name %q server %q storage %q\n%s", p.Rendered, p.Failed(), p.Name, p.Server, p.Storage, out)
	}
	if len(p.Live) != 2 || p.Live[0].Status != LivePassed || p.Live[1].Status != LivePassed {
		t.Errorf("live checks %+v, want both passed\n%s", p.Live, out)
	}
	if strings.Contains(out, "(encrypted)") || !strings.Contains(out, diag.RedactURL(api.url)) {
		t.Errorf("the table does not name the destination:\n%s", out)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"destination": "`+diag.RedactURL(api.url)+`"`) {
		t.Errorf("JSON:\n%s", js.String())
	}
	for _, s := range []string{api.token, spec.pxToken} {
		if strings.Contains(out, s) || strings.Contains(js.String(), s) {
			t.Error("the report reveals a secret")
		}
	}
	if p.config != nil || p.options != nil {
		t.Error("the pair keeps its credentials after the live checks")
	}
}
