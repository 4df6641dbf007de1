package author

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// The object store's credentials: read, written into ObjectStoreFile,
// handed to the renderer, and checked after encryption.

// read reads every credential.
func (s *objectStore) read(o Options, getenv func(string) string) error {
	for _, c := range s.credentials {
		v, err := c.src.read(o.Stdin, getenv)
		if err != nil {
			return err
		}
		if !utf8.Valid(v) {
			return fmt.Errorf("%s: the value is not UTF-8 text", c.flags())
		}
		c.value = v
	}
	plain, err := s.fileYAML()
	s.plain = plain
	return err
}

// fileYAML is the plaintext of ObjectStoreFile: it holds credentials and
// is only ever encrypted.
func (s *objectStore) fileYAML() ([]byte, error) {
	doc := map[string]any{}
	for _, c := range s.credentials {
		section, name, nested := strings.Cut(c.key, ".")
		if !nested {
			doc[c.key] = string(c.value)
			continue
		}
		m, _ := doc[section].(map[string]any)
		if m == nil {
			m = map[string]any{}
			doc[section] = m
		}
		m[name] = string(c.value)
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", ObjectStoreFile, err)
	}
	return b, nil
}

// spec is spec.objectStore: the settings given, and a reference into
// file for each credential.
func (s *objectStore) spec(file string) *v1alpha1.ObjectStore {
	o := s.opts
	ref := func(key string) v1alpha1.SecretRef { return v1alpha1.SecretRef{File: file, Key: key} }
	out := &v1alpha1.ObjectStore{Provider: s.provider, Bucket: o.Bucket}
	for _, c := range s.credentials {
		if c.key == "encryptionKey" {
			r := ref(c.key)
			out.EncryptionKey = &r
		}
	}
	switch s.provider {
	case v1alpha1.ProviderS3:
		out.S3 = &v1alpha1.S3ObjectStore{Endpoint: o.S3Endpoint, Region: o.S3Region, DisableSSL: o.S3DisableSSL, StorageClass: o.S3StorageClass, SSE: o.S3SSE,
			AccessKeyID: ref("s3.accessKeyID"), SecretAccessKey: ref("s3.secretAccessKey")}
	case v1alpha1.ProviderAzure:
		out.Azure = &v1alpha1.AzureObjectStore{AccountName: o.AzureAccountName, Environment: o.AzureEnvironment, ResourceGroup: o.AzureResourceGroup, AccountKey: ref("azure.accountKey")}
	case v1alpha1.ProviderGoogle:
		out.Google = &v1alpha1.GoogleObjectStore{ProjectID: o.GoogleProjectID, AccountKey: ref("google.accountKey")}
	}
	return out
}

// values are the credentials, for the leak check.
func (s *objectStore) values() [][]byte {
	out := make([][]byte, 0, len(s.credentials))
	for _, c := range s.credentials {
		out = append(out, c.value)
	}
	return out
}

// objectStoreFlagFields are the request fields of the object store and
// their flags, for flagFor.
func objectStoreFlagFields() []flagField {
	var out []flagField
	var o ObjectStoreOptions
	for _, creds := range o.credentials() {
		for _, c := range creds {
			out = append(out, flagField{c.field, c.src.fileFlag + "/" + c.src.envFlag})
		}
	}
	slices.SortFunc(out, func(a, b flagField) int { return strings.Compare(a.prefix, b.prefix) })
	const f = "spec.objectStore."
	return append(out,
		flagField{f + "encryptionKey", "--object-store-encryption-key-file/--object-store-encryption-key-env"},
		flagField{f + "bucket", "--bucket"},
		flagField{f + "s3.endpoint", "--s3-endpoint"},
		flagField{f + "s3.region", "--s3-region"},
		flagField{f + "s3.disableSSL", "--s3-disable-ssl"},
		flagField{f + "s3.storageClass", "--s3-storage-class"},
		flagField{f + "s3.sse", "--s3-sse"},
		flagField{f + "azure.accountName", "--azure-account-name"},
		flagField{f + "azure.environment", "--azure-environment"},
		flagField{f + "azure.resourceGroup", "--azure-resource-group"},
		flagField{f + "google.projectID", "--google-project-id"},
		flagField{"spec.objectStore", "--object-store"},
	)
}

// objectStoreLeaks refuses an encrypted ObjectStoreFile whose creation
// rule left a value readable, or that holds a credential.
func objectStoreLeaks(e *secrets.EncryptedFile, values [][]byte) error {
	var doc map[string]any
	if err := yaml.Unmarshal(e.Data, &doc); err != nil {
		return fmt.Errorf("the encrypted %s does not parse: %s", ObjectStoreFile, diag.ScrubParserError(err))
	}
	delete(doc, "sops")
	var leaks []string
	for _, l := range unencryptedValues("", doc) {
		leaks = append(leaks, strings.TrimPrefix(l, "."))
	}
	for _, v := range values {
		if t := bytes.TrimSpace(v); len(t) > 0 && bytes.Contains(e.Data, t) {
			leaks = append(leaks, "a credential")
			break
		}
	}
	if len(leaks) > 0 {
		return fmt.Errorf("the sops creation rule for %s (%s) would leave credentials readable (%s); nothing was written",
			ObjectStoreFile, describeConfig(e.ConfigFile), strings.Join(leaks, ", "))
	}
	return nil
}
