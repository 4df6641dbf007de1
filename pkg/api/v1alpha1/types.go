package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// Group is the API group of ClusterPairRequest.
	Group = "fn.clusterpair.dev"
	// Version is the API version of this package.
	Version = "v1alpha1"
	// APIVersion is Group/Version, as written in manifests.
	APIVersion = Group + "/" + Version
	// Kind is the kind of a request.
	Kind = "ClusterPairRequest"

	// DefaultPortworxPort is the Portworx API port used when spec.storage.port is omitted.
	DefaultPortworxPort = 9001
)

// ClusterPairRequest asks clusterpair-fn to render one Stork ClusterPair.
type ClusterPairRequest struct {
	// APIVersion must be fn.clusterpair.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be ClusterPairRequest.
	Kind string `json:"kind"`
	// Metadata: name and namespace become the ClusterPair's.
	Metadata metav1.ObjectMeta `json:"metadata"`
	// Spec describes the pair.
	Spec ClusterPairRequestSpec `json:"spec"`
}

// ClusterPairRequestSpec describes one pair: where the destination cluster is and
// how to reach its Portworx storage.
type ClusterPairRequestSpec struct {
	// Destination is the Kubernetes cluster the source cluster pairs with.
	Destination Destination `json:"destination"`
	// Storage is the destination's Portworx endpoint and pairing token. Omit it for
	// a single storage fabric stretched over both clusters (sync DR).
	Storage *Storage `json:"storage,omitempty"`
	// Mode is async-dr, migration or sync-dr (storkctl create's vocabulary).
	Mode Mode `json:"mode,omitempty"`
	// Rancher holds Rancher project mappings, for clusters managed by Rancher.
	Rancher *Rancher `json:"rancher,omitempty"`
}

// Destination is the destination cluster.
type Destination struct {
	// Kubeconfig is the SOPS-encrypted kubeconfig that reaches the destination.
	Kubeconfig KubeconfigSource `json:"kubeconfig"`
}

// KubeconfigSource references a kubeconfig and chooses what of it to use.
type KubeconfigSource struct {
	SecretRef `json:",inline"`
	// Context is the context to use; default: the file's current-context.
	Context string `json:"context,omitempty"`
	// Server overrides the context's cluster server URL, for an address that is
	// reachable from the source cluster.
	Server string `json:"server,omitempty"`
}

// Storage is the destination's Portworx API endpoint and pairing token.
type Storage struct {
	// IP is the Portworx API host: an IP address or DNS name, optionally with an
	// http:// or https:// scheme (passed to Portworx as given).
	IP string `json:"ip"`
	// Port is the Portworx API port, 1-65535; default 9001.
	Port int `json:"port,omitempty"`
	// Token is the destination's pairing token (`pxctl cluster token show`).
	Token SecretRef `json:"token"`
}

// SecretRef points at a secret value in a file of the repository.
//
// The file is SOPS-encrypted (required unless AllowUnencrypted). Its format
// follows its extension as with the sops CLI (.yaml/.yml, .json, .env, .ini,
// anything else binary) unless Format says otherwise.
type SecretRef struct {
	// File is the path of the file, relative to the directory of the request.
	File string `json:"file"`
	// Key selects a value inside a structured file: a dotted path in YAML/JSON
	// (list items by index), a variable name in dotenv, section.key in INI.
	// Without a key the whole decrypted file is the value.
	Key string `json:"key,omitempty"`
	// Format overrides the format inferred from the extension:
	// yaml, json, dotenv, ini or binary.
	Format string `json:"format,omitempty"`
	// AllowUnencrypted accepts a file that is not SOPS-encrypted. Never use it
	// for a real secret: the file is plaintext in Git.
	AllowUnencrypted bool `json:"allowUnencrypted,omitempty"`
}

// Mode is the pairing mode.
type Mode string

const (
	// ModeAsyncDR pairs two storage fabrics for asynchronous disaster recovery
	// (ClusterPair option mode: DisasterRecovery).
	ModeAsyncDR Mode = "async-dr"
	// ModeMigration pairs two storage fabrics for one-time migration
	// (ClusterPair option mode: OneTimeMigration).
	ModeMigration Mode = "migration"
	// ModeSyncDR pairs the schedulers of two clusters that share one stretched
	// storage fabric (no storage options).
	ModeSyncDR Mode = "sync-dr"
)

// Modes lists the accepted modes, in documentation order.
var Modes = []Mode{ModeAsyncDR, ModeMigration, ModeSyncDR}

// Rancher holds settings for clusters managed by Rancher.
type Rancher struct {
	// ProjectMappings maps source project IDs to destination project IDs, either
	// as a map or in storkctl's string form "a=b,c-1:p-a=c-2:p-b".
	ProjectMappings ProjectMappings `json:"projectMappings"`
}
