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

	// ManagedByLabel marks every object clusterpair-fn renders or creates.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is ManagedByLabel's value.
	ManagedByValue = "clusterpair-fn"
	// FunctionAnnotation names the KRM function a request runs as
	// (kustomize and kpt read it from a generator's config).
	FunctionAnnotation = "config.kubernetes.io/function"
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
	// Mode is async-dr, migration or sync-dr (storkctl create's vocabulary).
	Mode Mode `json:"mode,omitempty"`
	// Destination is the Kubernetes cluster the source cluster pairs with.
	Destination Destination `json:"destination"`
	// Storage is the destination's Portworx endpoint and pairing token. Omit it for
	// a single storage fabric stretched over both clusters (sync DR).
	Storage *Storage `json:"storage,omitempty"`
	// Rancher holds Rancher project mappings, for clusters managed by Rancher.
	Rancher *Rancher `json:"rancher,omitempty"`
	// ObjectStore gives Portworx the object store that async DR on cloud
	// clusters needs: rendered as a Secret and a BackupLocation (on both
	// clusters for a bidirectional pair), or a reference to an existing
	// BackupLocation.
	ObjectStore *ObjectStore `json:"objectStore,omitempty"`
	// Reverse asks for the reverse pair too: a ClusterPair on the destination
	// cluster that points back at the source. Which side a render emits is
	// chosen where it runs (CLUSTERPAIR_SIDE=source|destination).
	Reverse *Reverse `json:"reverse,omitempty"`
	// Output controls how rendered objects are emitted: SOPS-encrypted for
	// Flux and in-place kpt renders, or explicitly in plaintext.
	Output *Output `json:"output,omitempty"`
	// CredentialExpiryWarning is how long before the destination credential
	// expires a render warns (a Go duration such as 720h; 0 turns the warning
	// off); default 720h (30 days). An expired credential is always an error.
	CredentialExpiryWarning string `json:"credentialExpiryWarning,omitempty"`
	// GitOpsEngines lists the GitOps engines that apply the rendered pairs:
	// argocd, flux, or both (the default when omitted or empty). Each pair
	// carries the annotation with which that engine deletes and recreates it
	// when the ClusterPair admission policy (examples/admission) refuses a
	// change of its spec.options in place: Stork applies new options only to
	// a new pair.
	GitOpsEngines []GitOpsEngine `json:"gitopsEngines,omitempty"`
}

// GitOpsEngine is a GitOps engine that applies rendered pairs.
//
// +kubebuilder:validation:Enum=argocd;flux
type GitOpsEngine string

const (
	// EngineArgoCD is Argo CD: the pair carries the annotation
	// argocd.argoproj.io/sync-options: Force=true,ServerSideApply=false.
	EngineArgoCD GitOpsEngine = "argocd"
	// EngineFlux is Flux: the pair carries the annotation
	// kustomize.toolkit.fluxcd.io/force: enabled.
	EngineFlux GitOpsEngine = "flux"
)

// GitOpsEngines lists the accepted engines, in documentation order; it is
// also the default of ClusterPairRequestSpec.GitOpsEngines.
var GitOpsEngines = []GitOpsEngine{EngineArgoCD, EngineFlux}

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
//
// +kubebuilder:validation:Enum=async-dr;migration;sync-dr
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
	// +kubebuilder:validation:Schemaless
	ProjectMappings ProjectMappings `json:"projectMappings"`
}

// ObjectStoreProvider is an object store type Portworx supports.
//
// +kubebuilder:validation:Enum=s3;azure;google;nfs
type ObjectStoreProvider string

const (
	// ProviderS3 is Amazon S3 or an S3-compatible store.
	ProviderS3 ObjectStoreProvider = "s3"
	// ProviderAzure is Azure Blob Storage.
	ProviderAzure ObjectStoreProvider = "azure"
	// ProviderGoogle is Google Cloud Storage.
	ProviderGoogle ObjectStoreProvider = "google"
	// ProviderNFS is an NFS export.
	ProviderNFS ObjectStoreProvider = "nfs"
)

// ObjectStoreProviders lists the accepted providers, in documentation order.
var ObjectStoreProviders = []ObjectStoreProvider{ProviderS3, ProviderAzure, ProviderGoogle, ProviderNFS}

// ObjectStore is either Existing or a Provider with its settings.
type ObjectStore struct {
	// Existing names a BackupLocation (and its Secret) managed elsewhere, in
	// the pair's namespace on both clusters. Nothing is rendered for it.
	Existing string `json:"existing,omitempty"`
	// Name of the rendered Secret and BackupLocation; default: the pair's name.
	Name string `json:"name,omitempty"`
	// Provider is s3, azure, google or nfs.
	Provider ObjectStoreProvider `json:"provider,omitempty"`
	// Bucket is the bucket (s3, google) or container (azure).
	Bucket string `json:"bucket,omitempty"`
	// EncryptionKey optionally encrypts the data Portworx writes to the store.
	EncryptionKey *SecretRef `json:"encryptionKey,omitempty"`
	// S3 settings, with provider s3.
	S3 *S3ObjectStore `json:"s3,omitempty"`
	// Azure settings, with provider azure.
	Azure *AzureObjectStore `json:"azure,omitempty"`
	// Google settings, with provider google.
	Google *GoogleObjectStore `json:"google,omitempty"`
	// NFS settings, with provider nfs.
	NFS *NFSObjectStore `json:"nfs,omitempty"`
}

// S3ObjectStore holds the settings of an S3 or S3-compatible store.
type S3ObjectStore struct {
	// Endpoint is the host[:port] of the S3 API; default s3.amazonaws.com.
	Endpoint string `json:"endpoint,omitempty"`
	// Region; default us-east-1.
	Region string `json:"region,omitempty"`
	// DisableSSL talks plain HTTP to the endpoint.
	DisableSSL bool `json:"disableSSL,omitempty"`
	// StorageClass of the objects written, e.g. STANDARD or STANDARD_IA.
	StorageClass string `json:"storageClass,omitempty"`
	// SSE is the server-side encryption: AES256 or aws:kms.
	SSE string `json:"sse,omitempty"`
	// AccessKeyID references the access key ID.
	AccessKeyID SecretRef `json:"accessKeyID"`
	// SecretAccessKey references the secret access key.
	SecretAccessKey SecretRef `json:"secretAccessKey"`
}

// AzureObjectStore holds the settings of an Azure Blob Storage account.
type AzureObjectStore struct {
	// AccountName is the storage account name.
	AccountName string `json:"accountName"`
	// AccountKey references the storage account key.
	AccountKey SecretRef `json:"accountKey"`
	// Environment is the Azure cloud: AzurePublicCloud (default),
	// AzureUSGovernmentCloud, AzureChinaCloud or AzureGermanCloud.
	Environment string `json:"environment,omitempty"`
	// ResourceGroup of the storage account.
	ResourceGroup string `json:"resourceGroup,omitempty"`
	// ServicePrincipal is an Azure AD service principal Stork uses, in
	// addition to the account key, for Azure management calls (the
	// immutability policy of a container with object lock). Blob access
	// always uses the account key.
	ServicePrincipal *AzureServicePrincipal `json:"servicePrincipal,omitempty"`
}

// AzureServicePrincipal is an Azure AD application's client-secret
// credential.
type AzureServicePrincipal struct {
	// TenantID is the Azure AD tenant (directory) ID, a GUID.
	TenantID string `json:"tenantID"`
	// SubscriptionID is the subscription of the storage account, a GUID.
	SubscriptionID string `json:"subscriptionID"`
	// ClientID is the application (client) ID, a GUID.
	ClientID string `json:"clientID"`
	// ClientSecret references the application's client secret.
	ClientSecret SecretRef `json:"clientSecret"`
}

// GoogleObjectStore holds the settings of a Google Cloud Storage bucket.
type GoogleObjectStore struct {
	// ProjectID is the Google Cloud project.
	ProjectID string `json:"projectID"`
	// AccountKey references a service-account JSON key.
	AccountKey SecretRef `json:"accountKey"`
}

// NFSObjectStore holds the settings of an NFS export.
type NFSObjectStore struct {
	// Server is the NFS server's host name or IP address.
	Server string `json:"server"`
	// ExportPath is the exported directory, an absolute path.
	ExportPath string `json:"exportPath"`
	// SubPath is a directory under the export to use.
	SubPath string `json:"subPath,omitempty"`
	// MountOptions are NFS mount options, e.g. "nfsvers=4.1".
	MountOptions string `json:"mountOptions,omitempty"`
	// TimeoutSeconds is the NFS I/O timeout, 1-30; default 5.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// Reverse describes the reverse pair, applied to the destination cluster.
type Reverse struct {
	// Name of the reverse ClusterPair; default: the forward pair's name.
	Name string `json:"name,omitempty"`
	// Kubeconfig reaches the source cluster from the destination.
	Kubeconfig KubeconfigSource `json:"kubeconfig"`
	// Storage is the source cluster's Portworx endpoint and token; required
	// when spec.storage is set.
	Storage *Storage `json:"storage,omitempty"`
	// Output overrides spec.output for the objects of the destination side
	// (the destination cluster usually has its own decryption key).
	Output *Output `json:"output,omitempty"`
}

// PlaintextAllow is the one accepted value of Output.Plaintext.
const PlaintextAllow = "allow"

// Output controls how rendered objects are emitted.
type Output struct {
	// File is where the encrypted output of this side is committed, relative
	// to the request, when it is rendered to a file outside kpt (e.g.
	// `kustomize build > FILE` in CI). It is read, never written: when it
	// decrypts to exactly the new rendering, its ciphertext is kept.
	File string `json:"file,omitempty"`
	// Encrypt SOPS-encrypts every rendered object (spec, data and stringData
	// only; metadata stays readable) to these recipients.
	Encrypt *Encryption `json:"encrypt,omitempty"`
	// Plaintext: "allow" accepts writing plaintext objects where the function
	// can tell its output goes back to disk (kpt render).
	Plaintext string `json:"plaintext,omitempty"`
}

// Recipients are SOPS master keys.
type Recipients struct {
	// Age recipients (age1...).
	Age []string `json:"age,omitempty"`
	// PGP fingerprints.
	PGP []string `json:"pgp,omitempty"`
	// AWSKMS keys.
	AWSKMS []AWSKMSKey `json:"awsKms,omitempty"`
	// GCPKMS resource IDs.
	GCPKMS []string `json:"gcpKms,omitempty"`
	// AzureKeyVault key URLs.
	AzureKeyVault []string `json:"azureKeyVault,omitempty"`
	// HCVaultTransit key URIs.
	HCVaultTransit []string `json:"hcVaultTransit,omitempty"`
}

// AWSKMSKey is an AWS KMS key.
type AWSKMSKey struct {
	// ARN of the key.
	ARN string `json:"arn"`
	// Role to assume, optional.
	Role string `json:"role,omitempty"`
	// Profile of the AWS config to use, optional.
	Profile string `json:"profile,omitempty"`
	// Context is the KMS encryption context, optional.
	Context map[string]string `json:"context,omitempty"`
}

// Encryption lists the recipients of encrypted output: either directly (one
// key group; any key decrypts) or as key groups with a Shamir threshold.
type Encryption struct {
	Recipients `json:",inline"`
	// KeyGroups, instead of the recipients above: each group holds a share
	// of the data key.
	KeyGroups []Recipients `json:"keyGroups,omitempty"`
	// ShamirThreshold is how many key groups decrypt; default: all.
	ShamirThreshold int `json:"shamirThreshold,omitempty"`
}
