package author

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// kubeconfig is the destination kubeconfig reduced to what the pair needs.
type kubeconfig struct {
	// data is the clientcmd v1 YAML of the one context, flattened and
	// scrubbed. It holds credentials: it is only ever encrypted.
	data []byte
	// context, cluster and user are the names kept.
	context, cluster, user string
	// server is the cluster's server URL, scheme, host and port only (diag.RedactURL).
	server string
	// auth describes how the user authenticates, without any credential.
	auth string
}

// loadKubeconfig loads path with clientcmd's loading rules restricted to
// that file (no $KUBECONFIG, no ~/.kube/config; relative paths resolve
// against the file, as kubectl does), keeps only contextName (or the
// current-context) with its cluster and user, inlines the certificate and
// key files and a tokenFile, and drops LocationOfOrigin, extensions and
// preferences. Errors name the file, the context and the side's flags
// (flag("kubeconfig"): --kubeconfig or --reverse-kubeconfig), never a
// credential.
func loadKubeconfig(path, contextName string, flag func(string) string) (*kubeconfig, error) {
	cfg, err := (&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}).Load()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s %s: no such file", flag("kubeconfig"), path)
		}
		return nil, fmt.Errorf("%s %s is not a valid kubeconfig: %s", flag("kubeconfig"), path, diag.ScrubParserError(err))
	}
	if contextName == "" {
		if cfg.CurrentContext == "" {
			return nil, fmt.Errorf("%s %s has no current-context: choose one with %s (it has %s)", flag("kubeconfig"), path, flag("context"), diag.QuotedNames(cfg.Contexts, "no contexts"))
		}
		contextName = cfg.CurrentContext
	}
	kctx, ok := cfg.Contexts[contextName]
	if !ok {
		return nil, fmt.Errorf("%s %q is not in %s (it has %s)", flag("context"), contextName, path, diag.QuotedNames(cfg.Contexts, "no contexts"))
	}
	if kctx.Cluster == "" || kctx.AuthInfo == "" {
		return nil, fmt.Errorf("context %q of %s must name both a cluster and a user", contextName, path)
	}
	cfg.CurrentContext = contextName
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, fmt.Errorf("context %q of %s is unusable: %s", contextName, path, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, fmt.Errorf("inlining the certificate files of context %q: %s", contextName, err)
	}
	user := cfg.AuthInfos[kctx.AuthInfo]
	if user.TokenFile != "" {
		// FlattenConfig leaves tokenFile alone; a path would be resolved
		// inside the Stork pod, so inline the token as client-go reads it.
		if user.Token == "" {
			b, err := os.ReadFile(user.TokenFile)
			if err != nil {
				return nil, fmt.Errorf("inlining tokenFile of user %q: %s", kctx.AuthInfo, safePathError(err))
			}
			user.Token = strings.TrimSpace(string(b))
		}
		user.TokenFile = ""
	}
	scrub(cfg)

	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("writing the minified kubeconfig: %s", diag.ScrubParserError(err))
	}
	cluster := cfg.Clusters[kctx.Cluster]
	return &kubeconfig{
		data:    data,
		context: contextName,
		cluster: kctx.Cluster,
		user:    kctx.AuthInfo,
		server:  diag.RedactURL(cluster.Server),
		auth:    describeAuth(user),
	}, nil
}

// scrub drops what must not reach Git or Stork: the local path every entry
// was loaded from, extensions (a non-empty map makes the ClusterPair
// undecodable for Stork) and client preferences.
func scrub(cfg *clientcmdapi.Config) {
	cfg.Preferences = clientcmdapi.Preferences{}
	cfg.Extensions = nil
	for _, c := range cfg.Clusters {
		c.LocationOfOrigin = ""
		c.Extensions = nil
	}
	for _, u := range cfg.AuthInfos {
		u.LocationOfOrigin = ""
		u.Extensions = nil
	}
	for _, c := range cfg.Contexts {
		c.LocationOfOrigin = ""
		c.Extensions = nil
	}
}

// describeAuth names the user's authentication method, not its value.
func describeAuth(u *clientcmdapi.AuthInfo) string {
	var kinds []string
	if len(u.ClientCertificateData) > 0 {
		kinds = append(kinds, "client certificate")
	}
	if u.Token != "" {
		kinds = append(kinds, "bearer token")
	}
	if u.Exec != nil {
		kinds = append(kinds, fmt.Sprintf("exec plugin %q", u.Exec.Command))
	}
	if u.AuthProvider != nil {
		kinds = append(kinds, fmt.Sprintf("auth-provider %q", u.AuthProvider.Name))
	}
	if u.Username != "" {
		kinds = append(kinds, "basic authentication")
	}
	if len(kinds) == 0 {
		return "no credentials"
	}
	return strings.Join(kinds, " + ")
}

// unencryptedCredentials returns the paths of values under users[].user that
// an encrypted kubeconfig (sops YAML) left readable, which a creation rule
// with an encrypted_regex/unencrypted_regex written for Kubernetes Secrets
// (say ^(data|stringData)$) would do.
func unencryptedCredentials(encrypted []byte) ([]string, error) {
	var doc struct {
		Users []struct {
			Name any `json:"name"`
			User any `json:"user"`
		} `json:"users"`
	}
	if err := yaml.Unmarshal(encrypted, &doc); err != nil {
		return nil, fmt.Errorf("the encrypted kubeconfig does not parse: %s", diag.ScrubParserError(err))
	}
	var out []string
	for i, u := range doc.Users {
		out = append(out, unencryptedValues(fmt.Sprintf("users[%d].user", i), u.User)...)
	}
	return out, nil
}

// unencryptedValues returns the paths of the values under v (at path) that
// sops left readable: every string that is not ENC[...], every number and
// bool.
func unencryptedValues(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, unencryptedValues(path+"."+k, x[k])...)
		}
	case []any:
		for i, c := range x {
			out = append(out, unencryptedValues(fmt.Sprintf("%s[%d]", path, i), c)...)
		}
	case nil:
	case string:
		if !strings.HasPrefix(x, "ENC[") {
			out = append(out, path)
		}
	default: // a number or bool left as is
		out = append(out, path)
	}
	return out
}

// safePathError reports a file error by its path and cause.
func safePathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}
