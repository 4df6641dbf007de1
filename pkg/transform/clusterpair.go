package transform

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// Secrets are the decrypted inputs of one request. They are consumed, never
// quoted in findings.
type Secrets struct {
	// Kubeconfig is the decrypted destination kubeconfig.
	Kubeconfig []byte
	// Token is the decrypted Portworx pairing token (only with spec.storage).
	Token []byte
	// ObjectStore holds the decrypted object-store credentials.
	ObjectStore ObjectStoreSecrets
	// Now is the render time, for certificate validity checks; zero skips
	// them. It is an input so that rendering stays a pure function.
	Now time.Time
}

// Set stores a decrypted value as what the reference it came from holds.
func (s *Secrets) Set(use v1alpha1.SecretUse, value []byte) {
	o := &s.ObjectStore
	switch use {
	case v1alpha1.UseKubeconfig:
		s.Kubeconfig = value
	case v1alpha1.UseToken:
		s.Token = value
	case v1alpha1.UseEncryptionKey:
		o.EncryptionKey = value
	case v1alpha1.UseS3AccessKeyID:
		o.AccessKeyID = value
	case v1alpha1.UseS3SecretAccessKey:
		o.SecretAccessKey = value
	case v1alpha1.UseAzureAccountKey:
		o.AzureAccountKey = value
	case v1alpha1.UseAzureClientSecret:
		o.AzureClientSecret = value
	case v1alpha1.UseGoogleAccountKey:
		o.GoogleAccountKey = value
	}
}

// Side is the cluster a rendering is for (v1alpha1.Side).
type Side = v1alpha1.Side

const (
	// SideSource renders the objects applied to the source cluster.
	SideSource = v1alpha1.SideSource
	// SideDestination renders the reverse pair, applied to the destination cluster.
	SideDestination = v1alpha1.SideDestination
)

// Output is what one request renders to for one side.
type Output struct {
	// ClusterPair is the pair of this side.
	ClusterPair *stork.ClusterPair
	// Secret and BackupLocation hold the object-store credentials, when the
	// request renders them (spec.objectStore without existing).
	Secret *stork.Secret
	// BackupLocation references Secret.
	BackupLocation *stork.BackupLocation
}

// Objects returns the rendered objects, the pair first.
func (o *Output) Objects() []any {
	out := []any{o.ClusterPair}
	if o.Secret != nil {
		out = append(out, o.Secret)
	}
	if o.BackupLocation != nil {
		out = append(out, o.BackupLocation)
	}
	return out
}

// Render builds the source side of a defaulted, validated request.
func Render(req *v1alpha1.ClusterPairRequest, secrets Secrets) (*Output, diag.Findings) {
	return RenderSide(req, SideSource, secrets)
}

// RenderSide builds the objects of one side of a defaulted, validated
// request from that side's secrets (for SideDestination, Kubeconfig and Token
// are those of spec.reverse). On any error finding it returns a nil Output.
func RenderSide(req *v1alpha1.ClusterPairRequest, side Side, secrets Secrets) (*Output, diag.Findings) {
	var fs diag.Findings
	spec := req.Spec
	view, ok := req.Side(side)
	if !ok {
		fs.Errorf("spec.reverse", "is not set: this request has no %s side to render", side)
		return nil, fs
	}
	kc := view.Kubeconfig
	config, kfs := StorkConfig(secrets.Kubeconfig, KubeconfigOptions{
		Field:   view.KubeconfigField,
		File:    kc.File,
		Context: kc.Context,
		Server:  kc.Server,
		Now:     secrets.Now,

		ExpiryWarning: spec.ExpiryWarningWindow(),
	})
	fs.Add(kfs...)

	options, ofs := storageOptions(spec.Mode, view.Storage, view.StorageField, secrets.Token)
	fs.Add(ofs...)

	platform, pfs := platformOptions(spec.Rancher, side)
	fs.Add(pfs...)

	meta := func(n string) stork.ObjectMeta {
		return stork.ObjectMeta{Name: n, Namespace: req.Metadata.Namespace, Labels: map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue}}
	}
	out := &Output{}
	if o := spec.ObjectStore; o != nil {
		location, secret, bl, osf := objectStore(o, meta(objectStoreName(o, req.Metadata.Name)), secrets.ObjectStore)
		fs.Add(osf...)
		out.Secret, out.BackupLocation = secret, bl
		options[stork.OptionBackupLocation] = location
	}
	if fs.HasErrors() {
		return nil, fs
	}
	pairMeta := meta(view.Name)
	pairMeta.Annotations = EngineAnnotations(spec.GitOpsEngines)
	if exp, ok := CredentialsExpire(config); ok {
		pairMeta.Annotations[AnnotationCredentialsExpire] = FormatExpiry(exp.At)
	}
	out.ClusterPair = &stork.ClusterPair{
		APIVersion: stork.APIVersion,
		Kind:       stork.ClusterPairKind,
		Metadata:   pairMeta,
		Spec: stork.ClusterPairSpec{
			Config:          *config,
			Options:         options,
			PlatformOptions: platform,
		},
	}
	return out, fs
}

// platformOptions renders the Rancher project mappings, inverted for the
// destination side (where source and destination swap roles).
func platformOptions(r *v1alpha1.Rancher, side Side) (stork.PlatformOptions, diag.Findings) {
	var fs diag.Findings
	var platform stork.PlatformOptions
	if r == nil {
		return platform, nil
	}
	mappings, problems := r.ProjectMappings.Resolve()
	for _, p := range problems {
		fs.Errorf("spec.rancher.projectMappings", "%s", p)
	}
	if side == SideDestination && len(problems) == 0 {
		inverted, conflicts := invert(mappings)
		for _, c := range conflicts {
			fs.Errorf("spec.rancher.projectMappings", "cannot be inverted for the reverse pair: %s", c)
		}
		mappings = inverted
	}
	if len(mappings) > 0 && !fs.HasErrors() {
		platform.Rancher = &stork.RancherConfig{ProjectMappings: mappings}
	}
	return platform, fs
}

// invert swaps keys and values, reporting every destination that two
// sources map to.
func invert(m map[string]string) (map[string]string, []string) {
	out := make(map[string]string, len(m))
	var conflicts []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		if prev, dup := out[v]; dup {
			conflicts = append(conflicts, fmt.Sprintf("%q and %q both map to %q", prev, k, v))
			continue
		}
		out[v] = k
	}
	return out, conflicts
}

// storageOptions renders spec.options: all strings; empty (not null) when
// there is no storage to pair, because any key would make Stork treat the
// pair as async DR and a token key alone starts storage pairing.
func storageOptions(mode v1alpha1.Mode, s *v1alpha1.Storage, field string, token []byte) (map[string]string, diag.Findings) {
	var fs diag.Findings
	options := map[string]string{}
	if s == nil {
		return options, nil
	}
	tok, msg := cleanToken(token)
	if msg != "" {
		fs = append(fs, diag.Finding{Severity: diag.Error, Field: field + ".token", File: s.Token.File, Message: msg})
	}
	options[stork.OptionIP] = s.IP
	options[stork.OptionPort] = strconv.Itoa(s.Port)
	options[stork.OptionToken] = tok
	switch mode {
	case v1alpha1.ModeAsyncDR:
		options[stork.OptionMode] = stork.ModeDisasterRecovery
	case v1alpha1.ModeMigration:
		options[stork.OptionMode] = stork.ModeOneTimeMigration
	}
	return options, fs
}

// cleanToken checks a decrypted pairing token; see cleanSecretLine.
func cleanToken(b []byte) (string, string) {
	return cleanSecretLine(b, "token")
}

// cleanSecretLine drops one trailing line break (files written by echo or an
// editor end with one) and rejects anything else a one-line secret cannot
// hold. The message never quotes the value.
func cleanSecretLine(b []byte, what string) (string, string) {
	t := string(b)
	t = strings.TrimSuffix(t, "\n")
	t = strings.TrimSuffix(t, "\r")
	if t == "" {
		return "", "the decrypted " + what + " is empty"
	}
	for i, r := range t {
		// utf8.RuneError of width 1 is an invalid byte; json.Marshal would
		// silently replace it with U+FFFD, changing the token.
		if r == utf8.RuneError && !strings.HasPrefix(t[i:], "\uFFFD") {
			return "", "the decrypted " + what + " is not valid UTF-8 at byte " + strconv.Itoa(i)
		}
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "", "the decrypted " + what + " contains whitespace or a control character at byte " + strconv.Itoa(i) + " (only one trailing newline is dropped)"
		}
	}
	return t, ""
}
