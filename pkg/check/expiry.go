package check

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// expiresOf parses the rendered pair's credentials-expire annotation; zero
// when it is absent or not a date.
func expiresOf(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// expiresColumn is the EXPIRES column: the date the pair's credentials
// stop working, "unknown" for a rendered pair whose credentials do not tell
// (opaque token, exec plugin), "-" when the pair did not render.
func (p *Pair) expiresColumn() string {
	switch {
	case !p.Expires.IsZero():
		return p.Expires.Format(time.DateOnly)
	case p.Rendered:
		return "unknown"
	}
	return "-"
}

// ExpiringWithin returns the pairs whose credentials have expired or expire
// before now+within, in report order. Pairs whose expiry is unknown are not
// among them.
func (r *Report) ExpiringWithin(now time.Time, within time.Duration) []*Pair {
	var out []*Pair
	deadline := now.Add(within)
	for _, p := range r.Pairs {
		if !p.Expires.IsZero() && p.Expires.Before(deadline) {
			out = append(out, p)
		}
	}
	return out
}

// WriteExpiring prints the outcome of --expiring-within: each pair whose
// credentials expire inside the window, or that none does.
func (r *Report) WriteExpiring(w io.Writer, now time.Time, within time.Duration) error {
	pairs := r.ExpiringWithin(now, within)
	var b strings.Builder
	if len(pairs) == 0 {
		fmt.Fprintf(&b, "No known credential expires within %s (before %s).\n", within, now.Add(within).UTC().Format(time.RFC3339))
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "The credentials of %s expire within %s (before %s): every migration and failover through them fails from that date, while the pair still shows Ready:\n",
		plural(len(pairs), "pair"), within, now.Add(within).UTC().Format(time.RFC3339))
	for _, p := range pairs {
		state := "expires"
		if !p.Expires.After(now) {
			state = "expired"
		}
		fmt.Fprintf(&b, "  %s (%s, %s side): %s %s\n", p.Request.Path, p.Name, p.Side, state, p.Expires.Format(time.RFC3339))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
