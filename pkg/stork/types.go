package stork

const (
	// APIVersion of the Stork objects.
	APIVersion = "stork.libopenstorage.org/v1alpha1"
	// ClusterPairKind is the kind of a ClusterPair.
	ClusterPairKind = "ClusterPair"

	// OptionIP is the ClusterPair option holding the remote Portworx API host.
	OptionIP = "ip"
	// OptionPort is the ClusterPair option holding the remote Portworx API port.
	OptionPort = "port"
	// OptionToken is the ClusterPair option holding the remote pairing token.
	// Its presence alone makes Stork attempt storage pairing.
	OptionToken = "token"
	// OptionMode is the ClusterPair option holding the pairing mode.
	OptionMode = "mode"

	// ModeDisasterRecovery is the option value for asynchronous DR.
	ModeDisasterRecovery = "DisasterRecovery"
	// ModeOneTimeMigration is the option value for one-time migration.
	ModeOneTimeMigration = "OneTimeMigration"
)

// ObjectMeta is the subset of metadata clusterpair-fn writes.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ClusterPair is stork.libopenstorage.org/v1alpha1 ClusterPair without status:
// Stork has no status subresource, so an applied status would be stored and a
// "Ready" one would short-circuit pairing.
type ClusterPair struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   ObjectMeta      `json:"metadata"`
	Spec       ClusterPairSpec `json:"spec"`
}

// ClusterPairSpec is the spec Stork decodes. Options must be strings only:
// a number there makes every ClusterPair list call in the cluster fail.
type ClusterPairSpec struct {
	Config          Config            `json:"config"`
	Options         map[string]string `json:"options"`
	PlatformOptions PlatformOptions   `json:"platformOptions"`
}

// PlatformOptions holds platform-specific settings; always written ({} when empty).
type PlatformOptions struct {
	Rancher *RancherConfig `json:"rancher,omitempty"`
}

// RancherConfig maps source Rancher project IDs to destination ones.
type RancherConfig struct {
	ProjectMappings map[string]string `json:"projectMappings,omitempty"`
}

// Config is client-go v0.25's internal clientcmd api.Config as JSON: maps
// keyed by name, preferences always present.
type Config struct {
	Preferences    Preferences          `json:"preferences"`
	Clusters       map[string]*Cluster  `json:"clusters"`
	AuthInfos      map[string]*AuthInfo `json:"users"`
	Contexts       map[string]*Context  `json:"contexts"`
	CurrentContext string               `json:"current-context"`
}

// Preferences is always empty in rendered pairs.
type Preferences struct{}

// Cluster is a cluster entry of Config.
type Cluster struct {
	Server                   string `json:"server"`
	TLSServerName            string `json:"tls-server-name,omitempty"`
	InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify,omitempty"`
	CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
	ProxyURL                 string `json:"proxy-url,omitempty"`
}

// AuthInfo is a user entry of Config. File-path fields are never emitted: a
// path would be resolved inside the Stork pod.
type AuthInfo struct {
	ClientCertificateData []byte              `json:"client-certificate-data,omitempty"`
	ClientKeyData         []byte              `json:"client-key-data,omitempty"`
	Token                 string              `json:"token,omitempty"`
	Impersonate           string              `json:"act-as,omitempty"`
	ImpersonateUID        string              `json:"act-as-uid,omitempty"`
	ImpersonateGroups     []string            `json:"act-as-groups,omitempty"`
	ImpersonateUserExtra  map[string][]string `json:"act-as-user-extra,omitempty"`
	Username              string              `json:"username,omitempty"`
	Password              string              `json:"password,omitempty"`
	AuthProvider          *AuthProviderConfig `json:"auth-provider,omitempty"`
	Exec                  *ExecConfig         `json:"exec,omitempty"`
}

// AuthProviderConfig is a legacy auth-provider entry.
type AuthProviderConfig struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config,omitempty"`
}

// ExecConfig is an exec credential plugin. InteractiveMode is written with a
// capital I because the v0.25 field is untagged; the kubeconfig spelling
// interactiveMode would be ignored by Stork.
type ExecConfig struct {
	Command            string          `json:"command"`
	Args               []string        `json:"args"`
	Env                []ExecEnvVar    `json:"env"`
	APIVersion         string          `json:"apiVersion,omitempty"`
	InstallHint        string          `json:"installHint,omitempty"`
	ProvideClusterInfo bool            `json:"provideClusterInfo"`
	InteractiveMode    InteractiveMode `json:"InteractiveMode"`
}

// InteractiveMode is Never, IfAvailable or Always.
type InteractiveMode string

// ExecEnvVar is an environment variable for an exec plugin.
type ExecEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Context is a context entry of Config.
type Context struct {
	Cluster   string `json:"cluster"`
	AuthInfo  string `json:"user"`
	Namespace string `json:"namespace,omitempty"`
}

const (
	// BackupLocationKind is the kind of a BackupLocation.
	BackupLocationKind = "BackupLocation"
	// OptionBackupLocation is the ClusterPair option naming the BackupLocation
	// (in the pair's namespace) that holds the object-store credentials.
	OptionBackupLocation = "backuplocation"
	// AnnotationSkipResource makes Stork leave an object out of migrations.
	AnnotationSkipResource = "stork.libopenstorage.org/skip-resource"
	// AnnotationCreatedByStork makes Stork delete a BackupLocation (and its
	// Secret) together with the pair; never set on GitOps-owned objects.
	AnnotationCreatedByStork = "stork.libopenstorage.org/created-by-stork"
)

// BackupLocation is stork.libopenstorage.org/v1alpha1 BackupLocation. It has
// no spec: location is a top-level field.
type BackupLocation struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   ObjectMeta         `json:"metadata"`
	Location   BackupLocationItem `json:"location"`
	// Cluster is set only for an Azure service principal, which Stork reads
	// from the Secret named by cluster.secretConfig.
	Cluster *BackupLocationCluster `json:"cluster,omitempty"`
}

// BackupLocationCluster is the cluster item of a BackupLocation: cloud
// credentials Stork reads from the Secret named by SecretConfig.
type BackupLocationCluster struct {
	Type         string `json:"type"`
	SecretConfig string `json:"secretConfig"`
	// AzureClusterConfig must be present (empty) with type azure: Stork
	// fills it from the Secret and would dereference a missing one.
	AzureClusterConfig *struct{} `json:"azureClusterConfig,omitempty"`
}

// BackupLocationItem is the location of a BackupLocation. Everything but the
// type comes from the Secret named by SecretConfig.
type BackupLocationItem struct {
	Type         string `json:"type"`
	SecretConfig string `json:"secretConfig"`
}

// Secret is a core v1 Opaque Secret.
type Secret struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   ObjectMeta        `json:"metadata"`
	Type       string            `json:"type"`
	Data       map[string][]byte `json:"data"`
}
