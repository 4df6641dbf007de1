package transform

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// ObjectStoreSecrets are the decrypted object-store credentials.
type ObjectStoreSecrets struct {
	// EncryptionKey is spec.objectStore.encryptionKey.
	EncryptionKey []byte
	// AccessKeyID and SecretAccessKey are the S3 credentials.
	AccessKeyID, SecretAccessKey []byte
	// AzureAccountKey is the Azure storage account key.
	AzureAccountKey []byte
	// AzureClientSecret is the Azure service principal's client secret.
	AzureClientSecret []byte
	// GoogleAccountKey is the Google service-account JSON key.
	GoogleAccountKey []byte
}

// objectStoreName is the name of the rendered Secret and BackupLocation.
func objectStoreName(o *v1alpha1.ObjectStore, pair string) string {
	if o.Existing != "" {
		return o.Existing
	}
	if o.Name != "" {
		return o.Name
	}
	return pair
}

// objectStore renders the Secret and BackupLocation of an object store, with
// the keys Stork's BackupLocation reads from its secretConfig Secret. It
// returns the BackupLocation name for the pair's options; for an existing
// location it renders nothing else. Both objects are marked
// skip-resource (never migrated) and NOT created-by-stork, so that Stork
// does not delete these GitOps-owned objects together with a pair.
func objectStore(o *v1alpha1.ObjectStore, meta stork.ObjectMeta, in ObjectStoreSecrets) (string, *stork.Secret, *stork.BackupLocation, diag.Findings) {
	if o.Existing != "" {
		return o.Existing, nil, nil, nil
	}
	var fs diag.Findings
	data := map[string][]byte{"type": []byte(o.Provider)}
	secretLine := func(field, file string, b []byte) []byte {
		v, msg := cleanSecretLine(b, "value")
		if msg != "" {
			fs = append(fs, diag.Finding{Severity: diag.Error, Field: field, File: file, Message: msg})
		}
		return []byte(v)
	}
	if o.EncryptionKey != nil {
		data["encryptionKey"] = secretLine("spec.objectStore.encryptionKey", o.EncryptionKey.File, in.EncryptionKey)
	}
	switch o.Provider {
	case v1alpha1.ProviderS3:
		s := o.S3
		data["path"] = []byte(o.Bucket)
		data["endpoint"] = []byte(s.Endpoint)
		data["region"] = []byte(s.Region)
		data["disableSSL"] = []byte(strconv.FormatBool(s.DisableSSL))
		data["accessKeyID"] = secretLine("spec.objectStore.s3.accessKeyID", s.AccessKeyID.File, in.AccessKeyID)
		data["secretAccessKey"] = secretLine("spec.objectStore.s3.secretAccessKey", s.SecretAccessKey.File, in.SecretAccessKey)
		if s.StorageClass != "" {
			data["storageClass"] = []byte(s.StorageClass)
		}
		if s.SSE != "" {
			data["sse"] = []byte(s.SSE)
		}
	case v1alpha1.ProviderAzure:
		a := o.Azure
		data["path"] = []byte(o.Bucket)
		data["storageAccountName"] = []byte(a.AccountName)
		data["storageAccountKey"] = secretLine("spec.objectStore.azure.accountKey", a.AccountKey.File, in.AzureAccountKey)
		if a.Environment != "" {
			data["environment"] = []byte(a.Environment)
		}
		if a.ResourceGroup != "" {
			data["resourceGroupName"] = []byte(a.ResourceGroup)
		}
		if sp := a.ServicePrincipal; sp != nil {
			data["tenantID"] = []byte(sp.TenantID)
			data["subscriptionID"] = []byte(sp.SubscriptionID)
			data["clientID"] = []byte(sp.ClientID)
			data["clientSecret"] = secretLine("spec.objectStore.azure.servicePrincipal.clientSecret", sp.ClientSecret.File, in.AzureClientSecret)
		}
	case v1alpha1.ProviderGoogle:
		g := o.Google
		data["path"] = []byte(o.Bucket)
		data["projectID"] = []byte(g.ProjectID)
		fs.Add(checkServiceAccountKey(in.GoogleAccountKey, g)...)
		data["accountKey"] = in.GoogleAccountKey
	case v1alpha1.ProviderNFS:
		n := o.NFS
		data["serverAddr"] = []byte(n.Server)
		data["subPath"] = []byte(n.ExportPath)
		data["path"] = []byte(n.SubPath)
		data["nfsIOTimeoutInSecs"] = []byte(strconv.Itoa(n.TimeoutSeconds))
		if n.MountOptions != "" {
			data["mountOptions"] = []byte(n.MountOptions)
		}
	}
	if fs.HasErrors() {
		return "", nil, nil, fs
	}
	meta.Annotations = map[string]string{stork.AnnotationSkipResource: "true"}
	secret := &stork.Secret{APIVersion: "v1", Kind: "Secret", Metadata: meta, Type: "Opaque", Data: data}
	bl := &stork.BackupLocation{
		APIVersion: stork.APIVersion,
		Kind:       stork.BackupLocationKind,
		Metadata:   meta,
		Location:   stork.BackupLocationItem{Type: string(o.Provider), SecretConfig: meta.Name},
	}
	if o.Azure != nil && o.Azure.ServicePrincipal != nil {
		bl.Cluster = &stork.BackupLocationCluster{Type: "azure", SecretConfig: meta.Name, AzureClusterConfig: &struct{}{}}
	}
	return meta.Name, secret, bl, fs
}

// serviceAccountKeyFields are the fields of a Google service-account JSON key
// that authentication needs.
var serviceAccountKeyFields = []string{"type", "project_id", "private_key_id", "private_key", "client_email", "token_uri"}

// checkServiceAccountKey checks that a decrypted value is a Google
// service-account JSON key. Messages name fields, never their values (except
// the project ID, which is not secret).
func checkServiceAccountKey(b []byte, g *v1alpha1.GoogleObjectStore) diag.Findings {
	var fs diag.Findings
	field, file := "spec.objectStore.google.accountKey", g.AccountKey.File
	fail := func(msg string) diag.Findings {
		return append(fs, diag.Finding{Severity: diag.Error, Field: field, File: file, Message: msg})
	}
	var key map[string]any
	if err := json.Unmarshal(b, &key); err != nil {
		return fail("the decrypted value is not a JSON object: a Google service-account key file (JSON) is expected")
	}
	var missing []string
	for _, f := range serviceAccountKeyFields {
		if s, _ := key[f].(string); s == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fail("the service-account key lacks " + strings.Join(missing, ", "))
	}
	if key["type"] != "service_account" {
		return fail("the key's type is not service_account (a user or external-account credential cannot be used by Portworx)")
	}
	if pk, _ := key["private_key"].(string); !strings.Contains(pk, "PRIVATE KEY-----") {
		return fail("the key's private_key is not a PEM private key")
	}
	if p, _ := key["project_id"].(string); p != g.ProjectID {
		fs = append(fs, diag.Finding{Severity: diag.Warning, Field: field, File: file,
			Message: "the service account belongs to project " + strconv.Quote(p) + ", not spec.objectStore.google.projectID " + strconv.Quote(g.ProjectID) + "; it needs access to the bucket"})
	}
	return fs
}
