package v1alpha1

import (
	"fmt"
	"net"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// AzureEnvironments lists the accepted spec.objectStore.azure.environment values.
var AzureEnvironments = []string{"AzurePublicCloud", "AzureUSGovernmentCloud", "AzureChinaCloud", "AzureGermanCloud"}

var (
	// Lengths are checked separately: bounded repetitions compile into
	// large programs that every process start would pay for.
	s3BucketPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	azureContainer      = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9])*$`)
	azureAccountPattern = regexp.MustCompile(`^[a-z0-9]+$`)
	gcsBucketPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*[a-z0-9]$`)
	gcpProjectPattern   = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)
	regionPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)
)

func validateObjectStore(fs *diag.Findings, spec ClusterPairRequestSpec) {
	const field = "spec.objectStore"
	o := spec.ObjectStore
	if spec.Storage == nil {
		fs.Errorf(field, "needs spec.storage: the object store serves storage pairing (async-dr or migration)")
	}
	if o.Existing != "" {
		if o.Provider != "" || o.Bucket != "" || o.EncryptionKey != nil || o.S3 != nil || o.Azure != nil || o.Google != nil || o.NFS != nil || o.Name != "" {
			fs.Errorf(field+".existing", "references a BackupLocation managed elsewhere: remove name, provider, bucket, encryptionKey and the provider settings")
		}
		checkObjectName(fs, field+".existing", o.Existing)
		return
	}
	if o.Name != "" {
		checkObjectName(fs, field+".name", o.Name)
	}
	if o.EncryptionKey != nil {
		validateSecretRef(fs, field+".encryptionKey", *o.EncryptionKey)
	}
	// In documentation order, not map order: findings must be deterministic.
	settings := map[ObjectStoreProvider]bool{ProviderS3: o.S3 != nil, ProviderAzure: o.Azure != nil, ProviderGoogle: o.Google != nil, ProviderNFS: o.NFS != nil}
	for _, p := range ObjectStoreProviders {
		if settings[p] && p != o.Provider {
			fs.Errorf(field+"."+string(p), "is set but provider is %q", o.Provider)
		}
	}
	switch o.Provider {
	case "":
		fs.Errorf(field+".provider", "is required (one of %s), or set existing to reference a BackupLocation managed elsewhere", joinProviders())
	case ProviderS3:
		validateS3(fs, field, o)
	case ProviderAzure:
		validateAzure(fs, field, o)
	case ProviderGoogle:
		validateGoogle(fs, field, o)
	case ProviderNFS:
		validateNFS(fs, field, o)
	default:
		fs.Errorf(field+".provider", "%q is not supported: use one of %s", o.Provider, joinProviders())
	}
}

func checkObjectName(fs *diag.Findings, field, name string) {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		fs.Errorf(field, "%q is not a valid object name: %s", name, strings.Join(errs, "; "))
	}
}

func validateS3(fs *diag.Findings, field string, o *ObjectStore) {
	if msg := checkS3Bucket(o.Bucket); msg != "" {
		fs.Errorf(field+".bucket", "%s", msg)
	}
	s := o.S3
	if s == nil {
		fs.Errorf(field+".s3", "is required with provider s3 (accessKeyID and secretAccessKey at least)")
		return
	}
	if msg := checkEndpoint(s.Endpoint); msg != "" {
		fs.Errorf(field+".s3.endpoint", "%s %s", diag.QuoteURL(s.Endpoint), msg)
	}
	if !regionPattern.MatchString(s.Region) {
		fs.Errorf(field+".s3.region", "%q is not a region name (lowercase letters, digits and '-', e.g. us-east-1)", s.Region)
	}
	if s.SSE != "" && s.SSE != "AES256" && s.SSE != "aws:kms" {
		fs.Errorf(field+".s3.sse", "%q is not supported: use AES256 or aws:kms", s.SSE)
	}
	if s.StorageClass != "" && strings.ContainsFunc(s.StorageClass, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r == '_') }) {
		fs.Errorf(field+".s3.storageClass", "%q is not a storage class name (e.g. STANDARD, STANDARD_IA, GLACIER_IR)", s.StorageClass)
	}
	if s.DisableSSL && s.Endpoint == DefaultS3Endpoint {
		fs.Errorf(field+".s3.disableSSL", "cannot be used with Amazon S3 (%s), which requires TLS", DefaultS3Endpoint)
	} else if s.DisableSSL {
		fs.Warnf(field+".s3.disableSSL", "is true: the object store credentials and data cross the network unencrypted")
	}
	validateSecretRef(fs, field+".s3.accessKeyID", s.AccessKeyID)
	validateSecretRef(fs, field+".s3.secretAccessKey", s.SecretAccessKey)
}

// checkS3Bucket applies Amazon's bucket naming rules.
func checkS3Bucket(b string) string {
	switch {
	case b == "":
		return "is required"
	case len(b) < 3 || len(b) > 63 || !s3BucketPattern.MatchString(b):
		return fmt.Sprintf("%q is not a valid S3 bucket name: 3-63 characters, lowercase letters, digits, '.' and '-', starting and ending with a letter or digit", b)
	case strings.Contains(b, ".."):
		return fmt.Sprintf("%q is not a valid S3 bucket name: no two adjacent periods", b)
	case net.ParseIP(b) != nil:
		return fmt.Sprintf("%q is not a valid S3 bucket name: it must not look like an IP address", b)
	case strings.HasPrefix(b, "xn--") || strings.HasSuffix(b, "-s3alias"):
		return fmt.Sprintf("%q is not a valid S3 bucket name: reserved prefix or suffix", b)
	}
	return ""
}

// checkEndpoint accepts host or host:port, without scheme or path.
func checkEndpoint(e string) string {
	if strings.Contains(e, "://") {
		return "must be a host[:port] without scheme (use disableSSL for plain http)"
	}
	if strings.ContainsAny(e, "/?#@ ") {
		return "must be a host[:port] only"
	}
	host := e
	if h, p, err := net.SplitHostPort(e); err == nil {
		host = h
		if n, err := parsePort(p); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	if errs := validation.IsDNS1123Subdomain(strings.ToLower(host)); len(errs) > 0 || looksNumeric(host) {
		return "is not a valid host name or IP address"
	}
	return ""
}

func parsePort(p string) (int, error) {
	var n int
	_, err := fmt.Sscanf(p, "%d", &n)
	if err == nil && fmt.Sprint(n) != p {
		return 0, fmt.Errorf("not a number")
	}
	return n, err
}

func validateAzure(fs *diag.Findings, field string, o *ObjectStore) {
	if o.Bucket == "" {
		fs.Errorf(field+".bucket", "is required: the blob container")
	} else if len(o.Bucket) < 3 || len(o.Bucket) > 63 || !azureContainer.MatchString(o.Bucket) {
		fs.Errorf(field+".bucket", "%q is not a valid Azure container name: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit", o.Bucket)
	}
	a := o.Azure
	if a == nil {
		fs.Errorf(field+".azure", "is required with provider azure (accountName and accountKey)")
		return
	}
	if len(a.AccountName) < 3 || len(a.AccountName) > 24 || !azureAccountPattern.MatchString(a.AccountName) {
		fs.Errorf(field+".azure.accountName", "%q is not a valid storage account name: 3-24 lowercase letters and digits", a.AccountName)
	}
	if a.Environment != "" && !contains(AzureEnvironments, a.Environment) {
		fs.Errorf(field+".azure.environment", "%q is not supported: use one of %s", a.Environment, strings.Join(AzureEnvironments, ", "))
	}
	if a.ResourceGroup != "" && (len(a.ResourceGroup) > 90 || strings.HasSuffix(a.ResourceGroup, ".") || strings.ContainsAny(a.ResourceGroup, " /\\\"'")) {
		fs.Errorf(field+".azure.resourceGroup", "%q is not a valid resource group name", a.ResourceGroup)
	}
	validateSecretRef(fs, field+".azure.accountKey", a.AccountKey)
	validateAzureServicePrincipal(fs, field+".azure", a)
}

func validateGoogle(fs *diag.Findings, field string, o *ObjectStore) {
	switch b := o.Bucket; {
	case b == "":
		fs.Errorf(field+".bucket", "is required")
	case len(b) < 3 || len(b) > 222 || !gcsBucketPattern.MatchString(b) || (!strings.Contains(b, ".") && len(b) > 63):
		fs.Errorf(field+".bucket", "%q is not a valid Cloud Storage bucket name: 3-63 characters (222 with dots), lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit", b)
	case strings.HasPrefix(b, "goog") || strings.Contains(b, "google"):
		fs.Errorf(field+".bucket", "%q is not a valid Cloud Storage bucket name: it must not start with \"goog\" or contain \"google\"", b)
	}
	g := o.Google
	if g == nil {
		fs.Errorf(field+".google", "is required with provider google (projectID and accountKey)")
		return
	}
	if len(g.ProjectID) < 6 || len(g.ProjectID) > 30 || !gcpProjectPattern.MatchString(g.ProjectID) {
		fs.Errorf(field+".google.projectID", "%q is not a valid project ID: 6-30 lowercase letters, digits and '-', starting with a letter", g.ProjectID)
	}
	validateSecretRef(fs, field+".google.accountKey", g.AccountKey)
}

func validateNFS(fs *diag.Findings, field string, o *ObjectStore) {
	if o.Bucket != "" {
		fs.Errorf(field+".bucket", "does not apply to nfs: use nfs.exportPath and nfs.subPath")
	}
	n := o.NFS
	if n == nil {
		fs.Errorf(field+".nfs", "is required with provider nfs (server and exportPath)")
		return
	}
	if n.Server == "" {
		fs.Errorf(field+".nfs.server", "is required")
	} else if msg := checkEndpoint(n.Server); msg != "" || strings.Contains(n.Server, ":") && net.ParseIP(n.Server) == nil {
		fs.Errorf(field+".nfs.server", "%q is not a host name or IP address", n.Server)
	}
	if !path.IsAbs(n.ExportPath) || path.Clean(n.ExportPath) != n.ExportPath {
		fs.Errorf(field+".nfs.exportPath", "%q must be a clean absolute path, like /exports/px", n.ExportPath)
	}
	if clean := path.Clean(n.SubPath); n.SubPath != "" && (path.IsAbs(n.SubPath) || clean == ".." || strings.HasPrefix(clean, "../")) {
		fs.Errorf(field+".nfs.subPath", "%q must be a relative path under the export", n.SubPath)
	}
	if n.TimeoutSeconds < 1 || n.TimeoutSeconds > 30 {
		fs.Errorf(field+".nfs.timeoutSeconds", "%d is out of range 1-30", n.TimeoutSeconds)
	}
}

func joinProviders() string {
	parts := make([]string, len(ObjectStoreProviders))
	for i, p := range ObjectStoreProviders {
		parts[i] = string(p)
	}
	return strings.Join(parts, ", ")
}
