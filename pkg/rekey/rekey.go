package rekey

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/keyservice"
	sopslogging "github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// Options are the inputs of Run; the flags of `clusterpair-fn rekey`.
type Options struct {
	// Dirs are the directories searched for ClusterPairRequests.
	Dirs []string
	// SOPSConfig is an explicit sops configuration; default $SOPS_CONFIG,
	// else the first .sops.yaml found from each file's directory upwards.
	SOPSConfig string
	// DryRun reports what would change and writes nothing.
	DryRun bool
	// Getenv reads SOPS_CONFIG; nil means os.Getenv.
	Getenv func(string) string
	// KeyPolicy lists the network key services (Vault, Key Vault, KMS, age
	// plugins) that may be contacted, to decrypt a file's data key or to
	// encrypt it to the creation rule's recipients; the zero policy allows
	// none (the file's metadata and .sops.yaml are the repository's).
	KeyPolicy secrets.KeyPolicy
}

// FileChange is what rekey did (or, with DryRun, would do) to one file.
type FileChange struct {
	// Path is the file, relative to the directory searched.
	Path string
	// By names the requests and fields that reference the file.
	By []string
	// Config is the sops configuration whose creation rule applied.
	Config string
	// Added and Removed are the recipients ("age age1...", "pgp FP"),
	// sorted; both empty means the file was already up to date.
	Added, Removed []string
	// Threshold is "2 -> 1" when the Shamir threshold changed.
	Threshold string
}

// Changed reports whether the file's recipients (or threshold) changed.
func (c FileChange) Changed() bool {
	return len(c.Added) > 0 || len(c.Removed) > 0 || c.Threshold != ""
}

// Run rekeys every SOPS file the requests under opts.Dirs reference and
// returns one FileChange per file, in order. It stops at the first error;
// files already rewritten stay rewritten (each is replaced atomically and
// is valid for the new recipients).
func Run(opts Options) ([]FileChange, error) {
	sopslogging.SetLevel(logrus.ErrorLevel)
	if len(opts.Dirs) == 0 {
		opts.Dirs = []string{"."}
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	explicit := opts.SOPSConfig
	if explicit == "" {
		explicit = getenv("SOPS_CONFIG")
	}
	// Every file is rekeyed in memory first; files are written only when
	// all of them could be, so an error leaves the directories as they were.
	var out []FileChange
	var writes []pending
	seen := map[string]bool{} // a file under two of the directories is rekeyed once
	for _, dir := range opts.Dirs {
		refs, err := findRefs(dir)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if seen[r.path] {
				continue
			}
			seen[r.path] = true
			c, w, err := rekeyFile(r, explicit, opts.DryRun, opts.KeyPolicy)
			c.Path = filepath.Join(dir, filepath.FromSlash(r.rel))
			c.By = r.by
			if err != nil {
				return nil, fmt.Errorf("%s (referenced by %s): %w", c.Path, strings.Join(r.by, ", "), err)
			}
			out = append(out, c)
			if w != nil {
				writes = append(writes, *w)
			}
		}
	}
	for _, w := range writes {
		if err := replaceFile(w.path, w.data, w.mode); err != nil {
			return out, fmt.Errorf("writing %s: %w", w.path, err)
		}
	}
	return out, nil
}

// pending is a rekeyed file to write.
type pending struct {
	path string
	data []byte
	mode os.FileMode
}

// rekeyFile is `sops updatekeys` for one file, without any prompt.
func rekeyFile(r *ref, explicitConfig string, dryRun bool, policy secrets.KeyPolicy) (FileChange, *pending, error) {
	var c FileChange
	confPath := explicitConfig
	if confPath == "" {
		found, err := config.FindConfigFile(r.path)
		if err != nil {
			return c, nil, errors.New("no .sops.yaml in its directory or above it (give --sops-config)")
		}
		confPath = found
	}
	c.Config = confPath
	rule, err := sopsfull.LoadCreationRule(confPath, r.path)
	if err != nil {
		return c, nil, err
	}
	if rule == nil || len(rule.KeyGroups) == 0 {
		return c, nil, fmt.Errorf("no creation rule of %s matches it, or the rule names no key", confPath)
	}
	stores, err := config.LoadStoresConfig(confPath)
	if err != nil {
		return c, nil, fmt.Errorf("sops configuration %s: %w", confPath, err)
	}
	store := common.DefaultStoreForPathOrFormat(stores, r.path, r.format)
	tree, err := store.LoadEncryptedFile(r.data)
	if err != nil {
		if errors.Is(err, sops.MetadataNotFound) {
			return c, nil, errors.New("not SOPS-encrypted (sops metadata not found)")
		}
		// The parser's message may quote the file's content: not repeated.
		return c, nil, fmt.Errorf("not a SOPS-encrypted %s file", formatName(r))
	}

	diffs := common.DiffKeyGroups(tree.Metadata.KeyGroups, rule.KeyGroups)
	for _, d := range diffs {
		c.Added = append(c.Added, describe(d.Added)...)
		c.Removed = append(c.Removed, describe(d.Removed)...)
	}
	sort.Strings(c.Added)
	sort.Strings(c.Removed)
	threshold := min(tree.Metadata.ShamirThreshold, len(rule.KeyGroups))
	if threshold != tree.Metadata.ShamirThreshold {
		c.Threshold = fmt.Sprintf("%d -> %d", tree.Metadata.ShamirThreshold, threshold)
	}
	if !c.Changed() || dryRun {
		return c, nil, nil
	}

	// Neither the file's keys nor the rule's recipients may make this
	// process contact a key service the operator has not allowed.
	if err := sopsfull.CheckKeyGroups(policy, "the creation rule's recipients", rule.KeyGroups); err != nil {
		return c, nil, err
	}
	listed := describeGroups(tree.Metadata.KeyGroups)
	denied := sopsfull.FilterKeyGroups(policy, r.path, tree.Metadata.KeyGroups)
	svcs := []keyservice.KeyServiceClient{keyservice.NewLocalClient()}
	dataKey, err := tree.Metadata.GetDataKeyWithKeyServices(svcs, nil)
	if err != nil {
		if denied != nil {
			return c, nil, denied
		}
		return c, nil, fmt.Errorf("cannot decrypt its data key with the keys in this environment (%s): %s", listed, diag.RedactURLsIn(firstLine(err.Error())))
	}
	defer clear(dataKey)
	tree.Metadata.KeyGroups = rule.KeyGroups
	tree.Metadata.ShamirThreshold = threshold
	if errs := tree.Metadata.UpdateMasterKeysWithKeyServices(dataKey, svcs); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = diag.RedactURLsIn(firstLine(e.Error()))
		}
		return c, nil, fmt.Errorf("encrypting the data key to the new recipients: %s", strings.Join(msgs, "; "))
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		return c, nil, fmt.Errorf("emitting the rekeyed file: %s", diag.RedactURLsIn(firstLine(err.Error())))
	}
	// The read proved the file inside the directory; a symlink to it is
	// kept, and its target rewritten.
	target, err := filepath.EvalSymlinks(r.path)
	if err != nil {
		return c, nil, err
	}
	info, err := os.Stat(target)
	if err != nil {
		return c, nil, err
	}
	return c, &pending{path: target, data: out, mode: info.Mode().Perm()}, nil
}

// replaceFile writes data (ciphertext only) to a temporary file in the same
// directory and renames it over path.
func replaceFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".rekey-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

// describe names master keys by their public identifier.
func describe(ks []keys.MasterKey) []string {
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.TypeToIdentifier()+" "+diag.RedactURLsIn(k.ToString()))
	}
	return out
}

func describeGroups(groups []sops.KeyGroup) string {
	var all []string
	for _, g := range groups {
		all = append(all, describe(g)...)
	}
	sort.Strings(all)
	return strings.Join(all, ", ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// formatName names the format the file is read as.
func formatName(r *ref) string {
	if r.format != "" {
		return r.format
	}
	switch ext := strings.ToLower(filepath.Ext(r.path)); ext {
	case ".yaml", ".yml", ".json", ".env", ".ini":
		return strings.TrimPrefix(ext, ".")
	}
	return "binary (sops JSON)"
}
