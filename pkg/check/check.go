package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// ErrNoRequests means no ClusterPairRequest was found: a gate that checks
// nothing must not pass.
var ErrNoRequests = errors.New("no ClusterPairRequest found")

// Options say what to check.
type Options struct {
	// Paths are the directories (searched recursively) and files to check.
	Paths []string
	// Side restricts bidirectional requests to one side; empty checks both.
	// One-way requests have only the source side and are always checked.
	Side transform.Side
	// Live runs the live checks.
	Live bool
	// AllowExec lets the live check of a pair whose kubeconfig has an exec
	// plugin or an auth-provider run it (repository code, on this machine):
	// in a ProbeCommand child whose environment is PluginEnv(os.Environ()).
	// Without it that check is skipped, and says why.
	AllowExec bool
	// ProbeCommand is the argv of a process that calls ServeProbe (the
	// command's own hidden probe subcommand); required with AllowExec.
	ProbeCommand []string
	// Timeout bounds each live check; 0 means DefaultTimeout.
	Timeout time.Duration
	// Decryptor decrypts the referenced files (and, as in the function, an
	// earlier encrypted output that a new render is compared with). The
	// keys of an encrypted output's recipients are not needed.
	Decryptor secrets.Decryptor
	// Encryptor encrypts the output of requests that set output.encrypt,
	// as the function would; nil reports those requests as failing to
	// render (see fn.Processor.Encryptor).
	Encryptor secrets.Encryptor
	// Now is the render time; nil means time.Now.
	Now func() time.Time
	// Limits bound the whole check as they bound one run of the function:
	// the requests found, and the bytes read from referenced files by all
	// of them together (zero fields take fn's defaults).
	Limits secrets.Limits
}

// Report is the outcome of Run.
type Report struct {
	// Pairs are the pairs checked, one per request and side, in file order.
	Pairs []*Pair
	// Live says whether the live checks ran.
	Live bool
}

// Failed reports whether any pair has an error or a failed live check.
func (r *Report) Failed() bool {
	for _, p := range r.Pairs {
		if p.Failed() {
			return true
		}
	}
	return false
}

// Run finds the requests under opts.Paths and checks each side.
func Run(ctx context.Context, opts Options) (*Report, error) {
	requests, err := Find(opts.Paths)
	if err != nil {
		return nil, err
	}
	if len(requests) == 0 {
		return nil, fmt.Errorf("%w under %s", ErrNoRequests, strings.Join(opts.Paths, ", "))
	}
	limits := opts.Limits.WithDefaults()
	if len(requests) > limits.MaxRequests {
		return nil, fmt.Errorf("found %d ClusterPairRequests under %s; one check renders at most %d (raise it with --max-requests or CLUSTERPAIR_FN_MAX_REQUESTS, or check fewer directories)", len(requests), strings.Join(opts.Paths, ", "), limits.MaxRequests)
	}
	budget := secrets.NewBudget(limits.MaxReadBytes)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if opts.Live && opts.AllowExec && len(opts.ProbeCommand) == 0 {
		return nil, errors.New("check: AllowExec needs a ProbeCommand to run plugins in")
	}
	live := liveOptions{timeout: timeout, allowExec: opts.AllowExec, probeCommand: opts.ProbeCommand, pluginEnv: PluginEnv(os.Environ())}
	report := &Report{Live: opts.Live}
	for _, req := range requests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, p := range checkRequest(req, opts, now, budget) {
			if opts.Live {
				p.runLive(ctx, live)
			}
			p.config, p.options = nil, nil
			report.Pairs = append(report.Pairs, p)
		}
	}
	return report, nil
}
