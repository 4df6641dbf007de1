package author

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// ObjectStoreFile holds the object store's credentials, SOPS-encrypted
// YAML, one key per credential (s3.accessKeyID, s3.secretAccessKey,
// azure.accountKey, google.accountKey, encryptionKey).
const ObjectStoreFile = "objectstore.yaml"

// ObjectStoreProviders are the providers New writes (--object-store); an
// NFS store has no credential and is written by hand.
var ObjectStoreProviders = []v1alpha1.ObjectStoreProvider{v1alpha1.ProviderS3, v1alpha1.ProviderAzure, v1alpha1.ProviderGoogle}

// ObjectStoreOptions are the flags of spec.objectStore. Every credential
// is given as a file (--X-file, read in place; "-" for stdin) or as the
// name of an environment variable (--X-env), exactly like the token, and
// written into ObjectStoreFile.
type ObjectStoreOptions struct {
	// Provider is s3, azure or google (--object-store); empty for none.
	Provider string
	// Bucket is the bucket (s3, google) or container (azure).
	Bucket string
	// EncryptionKeyFile or EncryptionKeyEnv optionally hold the key
	// Portworx encrypts the data it writes with.
	EncryptionKeyFile, EncryptionKeyEnv string

	// S3Endpoint (default s3.amazonaws.com), S3Region (default us-east-1),
	// S3DisableSSL, S3StorageClass and S3SSE are spec.objectStore.s3's
	// settings.
	S3Endpoint, S3Region  string
	S3DisableSSL          bool
	S3StorageClass, S3SSE string
	// S3AccessKeyIDFile/Env and S3SecretAccessKeyFile/Env hold the S3
	// credentials.
	S3AccessKeyIDFile, S3AccessKeyIDEnv         string
	S3SecretAccessKeyFile, S3SecretAccessKeyEnv string
	// AzureAccountName, AzureEnvironment and AzureResourceGroup are
	// spec.objectStore.azure's settings; AzureAccountKeyFile/Env hold the
	// storage account key.
	AzureAccountName, AzureEnvironment, AzureResourceGroup string
	AzureAccountKeyFile, AzureAccountKeyEnv                string
	// GoogleProjectID is spec.objectStore.google.projectID;
	// GoogleAccountKeyFile/Env hold the service-account JSON key.
	GoogleProjectID                           string
	GoogleAccountKeyFile, GoogleAccountKeyEnv string
}

// credential is one secret value of the object store.
type credential struct {
	// key is its key in ObjectStoreFile, field the request field that
	// references it.
	key, field string
	src        secretSource
	required   bool
	value      []byte
}

func (c *credential) flags() string { return c.src.fileFlag + " or " + c.src.envFlag }

// newCredential describes the credential --PREFIX-file/--PREFIX-env.
func newCredential(key, prefix, file, env string, required bool) *credential {
	return &credential{
		key: key, field: "spec.objectStore." + key, required: required,
		src: secretSource{fileFlag: "--" + prefix + "-file", envFlag: "--" + prefix + "-env", file: file, env: env, what: "too large for an object store credential"},
	}
}

// credentials lists every credential flag pair, each provider's in the
// order of the request.
func (o ObjectStoreOptions) credentials() map[v1alpha1.ObjectStoreProvider][]*credential {
	return map[v1alpha1.ObjectStoreProvider][]*credential{
		v1alpha1.ProviderS3: {
			newCredential("s3.accessKeyID", "s3-access-key-id", o.S3AccessKeyIDFile, o.S3AccessKeyIDEnv, true),
			newCredential("s3.secretAccessKey", "s3-secret-access-key", o.S3SecretAccessKeyFile, o.S3SecretAccessKeyEnv, true),
		},
		v1alpha1.ProviderAzure:  {newCredential("azure.accountKey", "azure-account-key", o.AzureAccountKeyFile, o.AzureAccountKeyEnv, true)},
		v1alpha1.ProviderGoogle: {newCredential("google.accountKey", "google-account-key", o.GoogleAccountKeyFile, o.GoogleAccountKeyEnv, true)},
	}
}

// settings lists the provider flags that are set, by provider.
func (o ObjectStoreOptions) settings() map[v1alpha1.ObjectStoreProvider][]string {
	out := map[v1alpha1.ObjectStoreProvider][]string{}
	add := func(p v1alpha1.ObjectStoreProvider, flag string, set bool) {
		if set {
			out[p] = append(out[p], flag)
		}
	}
	add(v1alpha1.ProviderS3, "--s3-endpoint", o.S3Endpoint != "")
	add(v1alpha1.ProviderS3, "--s3-region", o.S3Region != "")
	add(v1alpha1.ProviderS3, "--s3-disable-ssl", o.S3DisableSSL)
	add(v1alpha1.ProviderS3, "--s3-storage-class", o.S3StorageClass != "")
	add(v1alpha1.ProviderS3, "--s3-sse", o.S3SSE != "")
	add(v1alpha1.ProviderAzure, "--azure-account-name", o.AzureAccountName != "")
	add(v1alpha1.ProviderAzure, "--azure-environment", o.AzureEnvironment != "")
	add(v1alpha1.ProviderAzure, "--azure-resource-group", o.AzureResourceGroup != "")
	add(v1alpha1.ProviderGoogle, "--google-project-id", o.GoogleProjectID != "")
	for p, creds := range o.credentials() {
		for _, c := range creds {
			add(p, c.src.fileFlag, c.src.file != "")
			add(p, c.src.envFlag, c.src.env != "")
		}
	}
	for _, flags := range out {
		slices.Sort(flags)
	}
	return out
}

// objectStore is the checked object store: its provider's credentials, in
// the order they are written, the optional encryption key last.
type objectStore struct {
	opts        ObjectStoreOptions
	provider    v1alpha1.ObjectStoreProvider
	credentials []*credential
	// plain is the plaintext of ObjectStoreFile, once read.
	plain []byte
}

// checkObjectStore checks the object store flags that need no file; nil
// without --object-store.
func (o Options) checkObjectStore(mode v1alpha1.Mode) (*objectStore, error) {
	s := o.ObjectStore
	settings := s.settings()
	encKey := newCredential("encryptionKey", "object-store-encryption-key", s.EncryptionKeyFile, s.EncryptionKeyEnv, false)
	encKey.field = "spec.objectStore.encryptionKey"
	if s.Provider == "" {
		var set []string
		for _, p := range ObjectStoreProviders {
			set = append(set, settings[p]...)
		}
		if s.Bucket != "" {
			set = append(set, "--bucket")
		}
		if encKey.src.given() {
			set = append(set, encKey.src.fileFlag+"/"+encKey.src.envFlag)
		}
		if len(set) > 0 {
			return nil, fmt.Errorf("%s: give the object store's provider with --object-store %s", strings.Join(set, ", "), providerList())
		}
		return nil, nil
	}
	p := v1alpha1.ObjectStoreProvider(s.Provider)
	if !slices.Contains(ObjectStoreProviders, p) {
		return nil, fmt.Errorf("--object-store %q: use %s (an NFS store has no credential: write spec.objectStore by hand)", s.Provider, providerList())
	}
	if mode == v1alpha1.ModeSyncDR {
		return nil, fmt.Errorf("--object-store serves storage pairing (--mode async-dr or migration): --mode sync-dr takes none")
	}
	for _, other := range ObjectStoreProviders {
		if other != p && len(settings[other]) > 0 {
			return nil, fmt.Errorf("%s: for --object-store %s, not %s", strings.Join(settings[other], ", "), other, p)
		}
	}
	if s.Bucket == "" {
		what := "bucket"
		if p == v1alpha1.ProviderAzure {
			what = "blob container"
		}
		return nil, fmt.Errorf("--bucket is required with --object-store %s: the %s Portworx writes to", p, what)
	}
	store := &objectStore{opts: s, provider: p, credentials: s.credentials()[p]}
	if encKey.src.given() {
		store.credentials = append(store.credentials, encKey)
	}
	for _, c := range store.credentials {
		if err := c.src.check(); err != nil {
			return nil, err
		}
		if c.required && !c.src.given() {
			return nil, fmt.Errorf("%s is required with --object-store %s", c.flags(), p)
		}
	}
	return store, nil
}

func providerList() string {
	names := make([]string, len(ObjectStoreProviders))
	for i, p := range ObjectStoreProviders {
		names[i] = string(p)
	}
	return strings.Join(names, "|")
}

// sources are the credentials' sources, for checkOneStdin.
func (s *objectStore) sources() []secretSource {
	if s == nil {
		return nil
	}
	out := make([]secretSource, len(s.credentials))
	for i, c := range s.credentials {
		out[i] = c.src
	}
	return out
}
