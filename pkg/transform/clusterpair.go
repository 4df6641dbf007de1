package transform

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

const (
	// ManagedByLabel marks every object clusterpair-fn renders.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel.
	ManagedByValue = "clusterpair-fn"
)

// Secrets are the decrypted inputs of one request. They are consumed, never
// quoted in findings.
type Secrets struct {
	// Kubeconfig is the decrypted destination kubeconfig.
	Kubeconfig []byte
	// Token is the decrypted Portworx pairing token (only with spec.storage).
	Token []byte
	// Now is the render time, for certificate validity checks; zero skips
	// them. It is an input so that rendering stays a pure function.
	Now time.Time
}

// Output is what one request renders to.
type Output struct {
	// ClusterPair is applied to the source cluster.
	ClusterPair *stork.ClusterPair
}

// Render builds the objects of a defaulted, validated request. On any error
// finding it returns a nil Output.
func Render(req *v1alpha1.ClusterPairRequest, secrets Secrets) (*Output, diag.Findings) {
	var fs diag.Findings
	kc := req.Spec.Destination.Kubeconfig
	config, kfs := StorkConfig(secrets.Kubeconfig, KubeconfigOptions{
		Field:   "spec.destination.kubeconfig",
		File:    kc.File,
		Context: kc.Context,
		Server:  kc.Server,
		Now:     secrets.Now,
	})
	fs.Add(kfs...)

	options, ofs := storageOptions(req.Spec, secrets.Token)
	fs.Add(ofs...)

	var platform stork.PlatformOptions
	if r := req.Spec.Rancher; r != nil {
		mappings, problems := r.ProjectMappings.Resolve()
		for _, p := range problems {
			fs.Errorf("spec.rancher.projectMappings", "%s", p)
		}
		if len(mappings) > 0 {
			platform.Rancher = &stork.RancherConfig{ProjectMappings: mappings}
		}
	}
	if fs.HasErrors() {
		return nil, fs
	}
	return &Output{ClusterPair: &stork.ClusterPair{
		APIVersion: stork.APIVersion,
		Kind:       stork.ClusterPairKind,
		Metadata: stork.ObjectMeta{
			Name:      req.Metadata.Name,
			Namespace: req.Metadata.Namespace,
			Labels:    map[string]string{ManagedByLabel: ManagedByValue},
		},
		Spec: stork.ClusterPairSpec{
			Config:          *config,
			Options:         options,
			PlatformOptions: platform,
		},
	}}, fs
}

// storageOptions renders spec.options: all strings; empty (not null) when
// there is no storage to pair, because any key would make Stork treat the
// pair as async DR and a token key alone starts storage pairing.
func storageOptions(spec v1alpha1.ClusterPairRequestSpec, token []byte) (map[string]string, diag.Findings) {
	var fs diag.Findings
	options := map[string]string{}
	s := spec.Storage
	if s == nil {
		return options, nil
	}
	tok, msg := cleanToken(token)
	if msg != "" {
		fs = append(fs, diag.Finding{Severity: diag.Error, Field: "spec.storage.token", File: s.Token.File, Message: msg})
	}
	options[stork.OptionIP] = s.IP
	options[stork.OptionPort] = strconv.Itoa(s.Port)
	options[stork.OptionToken] = tok
	switch spec.Mode {
	case v1alpha1.ModeAsyncDR:
		options[stork.OptionMode] = stork.ModeDisasterRecovery
	case v1alpha1.ModeMigration:
		options[stork.OptionMode] = stork.ModeOneTimeMigration
	}
	return options, fs
}

// cleanToken drops one trailing line break (files written by echo or an
// editor end with one) and rejects anything else a pairing token cannot hold.
// The message never quotes the token.
func cleanToken(b []byte) (string, string) {
	t := string(b)
	t = strings.TrimSuffix(t, "\n")
	t = strings.TrimSuffix(t, "\r")
	if t == "" {
		return "", "the decrypted token is empty"
	}
	for i, r := range t {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "", "the decrypted token contains whitespace or a control character at byte " + strconv.Itoa(i) + " (only one trailing newline is dropped)"
		}
	}
	return t, ""
}
