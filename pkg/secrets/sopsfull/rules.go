package sopsfull

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keyservice"
	sopslogging "github.com/getsops/sops/v3/logging"
	"github.com/getsops/sops/v3/pgp"
	sopsversion "github.com/getsops/sops/v3/version"
	"github.com/sirupsen/logrus"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// EncryptFile implements secrets.Encryptor: it encrypts plaintext for the
// file at target the way `sops encrypt --filename-override TARGET` does:
// the format follows the
// target's extension (.yaml/.yml, .json, .env, .ini, anything else binary),
// the creation rule is the first of the sops configuration whose path_regex
// matches the target's absolute path (relative to the configuration's
// directory when the target is under it), and its key groups, Shamir
// threshold, encrypted/unencrypted suffix or regex and mac_only_encrypted
// apply, as do the configuration's store settings (indentation). Nothing is
// written to disk. Errors never contain the plaintext.
func (Encryptor) EncryptFile(plaintext []byte, target string, opts secrets.FileEncryptOptions) (*secrets.EncryptedFile, error) {
	sopslogging.SetLevel(logrus.ErrorLevel)
	abs, err := filepath.Abs(target)
	if err != nil {
		return nil, err
	}
	confPath, err := sopsConfigFor(abs, opts)
	if err != nil {
		return nil, err
	}
	var rule *config.Config
	stores := config.NewStoresConfig()
	if confPath != "" {
		if rule, err = LoadCreationRule(confPath, abs); err != nil {
			return nil, err
		}
		if stores, err = config.LoadStoresConfig(confPath); err != nil {
			return nil, fmt.Errorf("sops configuration %s: %w", confPath, err)
		}
	}

	groups, err := recipientGroups(opts, rule, confPath)
	if err != nil {
		return nil, err
	}
	what := "the recipients"
	if confPath != "" && len(opts.Age) == 0 && len(opts.PGP) == 0 {
		what = "the creation rule of " + confPath
	}
	if err := checkGroups(opts.Policy, what, groups); err != nil {
		return nil, err
	}
	store := common.StoreForFormat(sopsFormat(secrets.FormatFor(abs, "")), stores)
	branches, err := store.LoadPlainFile(plaintext)
	if err != nil {
		return nil, fmt.Errorf("the content for %s is not a valid %s document%s", filepath.Base(abs), secrets.FormatFor(abs, ""), lineHint(err))
	}
	if len(branches) < 1 {
		return nil, fmt.Errorf("the content for %s has no document to encrypt", filepath.Base(abs))
	}
	if store.HasSopsTopLevelKey(branches[0]) {
		return nil, fmt.Errorf("the content for %s is already SOPS-encrypted", filepath.Base(abs))
	}

	metadata := sops.Metadata{KeyGroups: groups, Version: sopsversion.Version}
	if rule != nil {
		metadata.ShamirThreshold = rule.ShamirThreshold
	}
	if err := applyCryptRules(&metadata, rule, store); err != nil {
		return nil, err
	}
	tree := sops.Tree{Branches: branches, Metadata: metadata, FilePath: abs}
	dataKey, errs := tree.GenerateDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()})
	if len(errs) > 0 {
		return nil, fmt.Errorf("could not encrypt the data key to %s: %s", describeGroups(groups), joinErrors(errs))
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{Tree: &tree, Cipher: aes.NewCipher(), DataKey: dataKey}); err != nil {
		return nil, fmt.Errorf("encrypting %s: %s", filepath.Base(abs), err)
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		return nil, fmt.Errorf("emitting the encrypted %s: %w", filepath.Base(abs), err)
	}
	return &secrets.EncryptedFile{Data: out, ConfigFile: confPath, Recipients: strings.Split(describeGroups(groups), ", ")}, nil
}

// sopsConfigFor returns the sops configuration that applies to target, or
// "" when there is none.
func sopsConfigFor(target string, opts secrets.FileEncryptOptions) (string, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	explicit := opts.ConfigFile
	if explicit == "" {
		explicit = getenv("SOPS_CONFIG")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("sops configuration %s: %w", explicit, err)
		}
		return explicit, nil
	}
	// LookupConfigFile starts in the directory of the path it is given.
	found, err := config.FindConfigFile(target)
	if err != nil {
		return "", nil // no configuration: explicit recipients are needed
	}
	return found, nil
}

// recipientGroups returns the explicit recipients as one key group, else the
// creation rule's key groups.
func recipientGroups(opts secrets.FileEncryptOptions, rule *config.Config, confPath string) ([]sops.KeyGroup, error) {
	if len(opts.Age) == 0 && len(opts.PGP) == 0 {
		if rule == nil || len(rule.KeyGroups) == 0 {
			if confPath != "" {
				return nil, fmt.Errorf("%w (%s has no creation_rules)", secrets.ErrNoRecipients, confPath)
			}
			return nil, secrets.ErrNoRecipients
		}
		for i, g := range rule.KeyGroups {
			if len(g) == 0 {
				return nil, fmt.Errorf("sops configuration %s: key group %d of the matching creation rule has no key", confPath, i+1)
			}
		}
		return rule.KeyGroups, nil
	}
	var group sops.KeyGroup
	for _, r := range opts.PGP {
		for _, k := range pgp.MasterKeysFromFingerprintString(r) {
			group = append(group, k)
		}
	}
	for _, r := range opts.Age {
		keys, err := age.MasterKeysFromRecipients(r)
		if err != nil {
			return nil, fmt.Errorf("age recipient %q: %w", r, err)
		}
		for _, k := range keys {
			group = append(group, k)
		}
	}
	return []sops.KeyGroup{group}, nil
}

// applyCryptRules copies the rule's selection of what is encrypted into the
// metadata, as the sops CLI does: a single-value store (binary) ignores
// every selection; otherwise at most one may be set, and without any the
// "_unencrypted" suffix applies.
func applyCryptRules(m *sops.Metadata, rule *config.Config, store common.Store) error {
	if svs, ok := store.(sops.SingleValueStore); ok && svs.IsSingleValueStore() {
		return nil
	}
	if rule != nil {
		m.UnencryptedSuffix = rule.UnencryptedSuffix
		m.EncryptedSuffix = rule.EncryptedSuffix
		m.UnencryptedRegex = rule.UnencryptedRegex
		m.EncryptedRegex = rule.EncryptedRegex
		m.UnencryptedCommentRegex = rule.UnencryptedCommentRegex
		m.EncryptedCommentRegex = rule.EncryptedCommentRegex
		m.MACOnlyEncrypted = rule.MACOnlyEncrypted
	}
	set := 0
	for _, s := range []string{m.UnencryptedSuffix, m.EncryptedSuffix, m.UnencryptedRegex, m.EncryptedRegex, m.UnencryptedCommentRegex, m.EncryptedCommentRegex} {
		if s != "" {
			set++
		}
	}
	if set > 1 {
		return fmt.Errorf("the creation rule sets more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex")
	}
	if set == 0 {
		m.UnencryptedSuffix = sops.DefaultUnencryptedSuffix
	}
	return nil
}
