package check

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// TestPortworxProbeRedactsTheEndpoint: an ip option that is a URL with
// credentials (the repository's) never reaches the report whole.
func TestPortworxProbeRedactsTheEndpoint(t *testing.T) {
	options := map[string]string{stork.OptionIP: "socks5://user:SECRET-PW@127.0.0.1", stork.OptionPort: "1", stork.OptionToken: "t"}
	r := probePortworx(context.Background(), options, time.Second)
	if r.Status != LiveFailed {
		t.Fatalf("status = %s (%s), want failed", r.Status, r.Detail)
	}
	if strings.Contains(r.Detail, "SECRET-PW") || strings.Contains(r.Detail, "user:") {
		t.Errorf("the detail shows the endpoint's credentials: %s", r.Detail)
	}
}
