package v1alpha1

import (
	"strings"
	"testing"
)

// Object stores as Validate sees them: after Default, with every required field.

func s3Store() *ObjectStore {
	return &ObjectStore{
		Provider: ProviderS3,
		Bucket:   "px-dr-west",
		S3: &S3ObjectStore{
			Endpoint:        DefaultS3Endpoint,
			Region:          DefaultS3Region,
			AccessKeyID:     SecretRef{File: "objectstore.yaml", Key: "s3.accessKeyID"},
			SecretAccessKey: SecretRef{File: "objectstore.yaml", Key: "s3.secretAccessKey"},
		},
	}
}

func azureStore() *ObjectStore {
	return &ObjectStore{
		Provider: ProviderAzure,
		Bucket:   "px-dr-west",
		Azure: &AzureObjectStore{
			AccountName: "pxdrwest",
			AccountKey:  SecretRef{File: "objectstore.yaml", Key: "azure.accountKey"},
		},
	}
}

func googleStore() *ObjectStore {
	return &ObjectStore{
		Provider: ProviderGoogle,
		Bucket:   "px-dr-west",
		Google: &GoogleObjectStore{
			ProjectID:  "demo-dr-project",
			AccountKey: SecretRef{File: "gcp-key.json"},
		},
	}
}

func nfsStore() *ObjectStore {
	return &ObjectStore{
		Provider: ProviderNFS,
		NFS: &NFSObjectStore{
			Server:         "nfs.west.example.com",
			ExportPath:     "/exports/px",
			TimeoutSeconds: DefaultNFSTimeoutSeconds,
		},
	}
}

// withStore returns validRequest (async-dr with storage) with an object store.
func withStore(o *ObjectStore) *ClusterPairRequest {
	r := validRequest()
	r.Spec.ObjectStore = o
	return r
}

func TestValidateObjectStoreValid(t *testing.T) {
	for name, o := range map[string]*ObjectStore{
		"s3": s3Store(), "azure": azureStore(), "google": googleStore(), "nfs": nfsStore(),
		"existing": {Existing: "shared-s3"},
	} {
		t.Run(name, func(t *testing.T) {
			checkFindings(t, withStore(o).Validate(), nil)
		})
	}
}

type storeCase struct {
	name   string
	store  func() *ObjectStore
	mutate func(o *ObjectStore)
	want   []expect
}

func runStoreCases(t *testing.T, tests []storeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.store()
			tt.mutate(o)
			checkFindings(t, withStore(o).Validate(), tt.want)
		})
	}
}

// The object store and the pairing mode (validate.go and validate_objectstore.go).
func TestValidateObjectStoreModes(t *testing.T) {
	const ost = "spec.objectStore"
	tests := []struct {
		name   string
		mutate func(r *ClusterPairRequest)
		want   []expect
	}{
		{"async-dr with storage", func(r *ClusterPairRequest) {}, nil},
		{"migration with storage", func(r *ClusterPairRequest) { r.Spec.Mode = ModeMigration }, nil},
		{"no mode, no storage", func(r *ClusterPairRequest) { r.Spec.Mode, r.Spec.Storage = "", nil },
			[]expect{errorOn(ost, "needs spec.storage: the object store serves storage pairing (async-dr or migration)")}},
		{"async-dr without storage", func(r *ClusterPairRequest) { r.Spec.Storage = nil },
			[]expect{
				errorOn("spec.mode", "async-dr pairs two Portworx clusters: spec.storage (ip, port, token) is required"),
				errorOn(ost, "needs spec.storage"),
			}},
		{"sync-dr", func(r *ClusterPairRequest) { r.Spec.Mode, r.Spec.Storage = ModeSyncDR, nil },
			[]expect{
				errorOn(ost, "must be omitted with mode sync-dr: there is no storage pairing"),
				errorOn(ost, "needs spec.storage"),
			}},
		{"sync-dr with storage", func(r *ClusterPairRequest) { r.Spec.Mode = ModeSyncDR },
			[]expect{
				errorOn(ost, "must be omitted with mode sync-dr"),
				errorOn("spec.storage", "must be omitted with mode sync-dr"),
			}},
		{"existing without storage", func(r *ClusterPairRequest) {
			r.Spec.Mode, r.Spec.Storage, r.Spec.ObjectStore = "", nil, &ObjectStore{Existing: "shared-s3"}
		}, []expect{errorOn(ost, "needs spec.storage")}},
		{"no mode with storage: the mode warning only", func(r *ClusterPairRequest) { r.Spec.Mode = "" },
			[]expect{warnOn("spec.mode", "is not set although spec.storage is")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := withStore(s3Store())
			tt.mutate(r)
			checkFindings(t, r.Validate(), tt.want)
		})
	}
}

func TestValidateObjectStoreCommon(t *testing.T) {
	const ost = "spec.objectStore"
	runStoreCases(t, []storeCase{
		// existing
		{"existing alone", func() *ObjectStore { return &ObjectStore{Existing: "shared-s3"} }, func(o *ObjectStore) {}, nil},
		{"existing with provider settings", s3Store, func(o *ObjectStore) { o.Existing = "shared-s3" },
			[]expect{errorOn(ost+".existing", "references a BackupLocation managed elsewhere: remove name, provider, bucket, encryptionKey and the provider settings")}},
		{"existing with name", func() *ObjectStore { return &ObjectStore{Existing: "shared-s3", Name: "mine"} }, func(o *ObjectStore) {},
			[]expect{errorOn(ost+".existing", "references a BackupLocation managed elsewhere")}},
		{"existing with bucket", func() *ObjectStore { return &ObjectStore{Existing: "shared-s3", Bucket: "b-1"} }, func(o *ObjectStore) {},
			[]expect{errorOn(ost+".existing", "references a BackupLocation managed elsewhere")}},
		{"existing with encryptionKey", func() *ObjectStore {
			return &ObjectStore{Existing: "shared-s3", EncryptionKey: &SecretRef{File: "k.enc"}}
		}, func(o *ObjectStore) {}, []expect{errorOn(ost+".existing", "references a BackupLocation managed elsewhere")}},
		{"existing with nfs settings only", func() *ObjectStore {
			return &ObjectStore{Existing: "shared-s3", NFS: &NFSObjectStore{Server: "nfs"}}
		}, func(o *ObjectStore) {}, []expect{errorOn(ost+".existing", "references a BackupLocation managed elsewhere")}},
		{"existing not a name", func() *ObjectStore { return &ObjectStore{Existing: "Shared_S3"} }, func(o *ObjectStore) {},
			[]expect{errorOn(ost+".existing", `"Shared_S3" is not a valid object name: a lowercase RFC 1123 subdomain`)}},
		{"existing combined and not a name: both", func() *ObjectStore { return &ObjectStore{Existing: "-x", Provider: ProviderS3} }, func(o *ObjectStore) {},
			[]expect{
				errorOn(ost+".existing", "references a BackupLocation managed elsewhere"),
				errorOn(ost+".existing", `"-x" is not a valid object name`),
			}},

		// name
		{"name", s3Store, func(o *ObjectStore) { o.Name = "px-backups.west" }, nil},
		{"name not DNS-1123", s3Store, func(o *ObjectStore) { o.Name = "PX Backups" },
			[]expect{errorOn(ost+".name", `"PX Backups" is not a valid object name`)}},
		{"name too long", s3Store, func(o *ObjectStore) { o.Name = strings.Repeat("a", 254) },
			[]expect{errorOn(ost+".name", "must be no more than 253 characters")}},

		// encryptionKey: a secret reference
		{"encryptionKey", s3Store, func(o *ObjectStore) { o.EncryptionKey = &SecretRef{File: "objectstore.yaml", Key: "encryptionKey"} }, nil},
		{"encryptionKey file missing", s3Store, func(o *ObjectStore) { o.EncryptionKey = &SecretRef{} },
			[]expect{errorOn(ost+".encryptionKey.file", "is required: the path of a SOPS-encrypted file")}},
		{"encryptionKey file escapes", nfsStore, func(o *ObjectStore) { o.EncryptionKey = &SecretRef{File: "../key.enc"} },
			[]expect{errorOn(ost+".encryptionKey.file", `"../key.enc" escapes the directory of the request`)}},
		{"encryptionKey bad format", s3Store, func(o *ObjectStore) { o.EncryptionKey = &SecretRef{File: "k", Format: "text"} },
			[]expect{errorOn(ost+".encryptionKey.format", `"text" is not supported`)}},
		{"encryptionKey allowUnencrypted", s3Store, func(o *ObjectStore) { o.EncryptionKey = &SecretRef{File: "k.txt", AllowUnencrypted: true} },
			[]expect{warnOn(ost+".encryptionKey.allowUnencrypted", `a plaintext "k.txt" is accepted`)}},

		// provider
		{"provider missing", s3Store, func(o *ObjectStore) { o.Provider, o.S3 = "", nil },
			[]expect{errorOn(ost+".provider", "is required (one of s3, azure, google, nfs), or set existing to reference a BackupLocation managed elsewhere")}},
		{"provider missing, settings given", s3Store, func(o *ObjectStore) { o.Provider = "" },
			[]expect{
				errorOn(ost+".s3", `is set but provider is ""`),
				errorOn(ost+".provider", "is required"),
			}},
		{"provider unknown", s3Store, func(o *ObjectStore) { o.Provider, o.S3 = "minio", nil },
			[]expect{errorOn(ost+".provider", `"minio" is not supported: use one of s3, azure, google, nfs`)}},
		{"provider is case-sensitive", s3Store, func(o *ObjectStore) { o.Provider = "S3" },
			[]expect{
				errorOn(ost+".s3", `is set but provider is "S3"`),
				errorOn(ost+".provider", `"S3" is not supported`),
			}},

		// provider and settings
		{"s3 with azure settings too", s3Store, func(o *ObjectStore) { o.Azure = azureStore().Azure },
			[]expect{errorOn(ost+".azure", `is set but provider is "s3"`)}},
		{"azure with s3 settings instead", s3Store, func(o *ObjectStore) { o.Provider = ProviderAzure },
			[]expect{
				errorOn(ost+".s3", `is set but provider is "azure"`),
				errorOn(ost+".azure", "is required with provider azure (accountName and accountKey)"),
			}},
		{"google with nfs settings too", googleStore, func(o *ObjectStore) { o.NFS = nfsStore().NFS },
			[]expect{errorOn(ost+".nfs", `is set but provider is "google"`)}},
		{"nfs with every other provider's settings, in documentation order", nfsStore, func(o *ObjectStore) {
			o.S3, o.Azure, o.Google = s3Store().S3, azureStore().Azure, googleStore().Google
		}, []expect{
			errorOn(ost+".s3", `is set but provider is "nfs"`),
			errorOn(ost+".azure", `is set but provider is "nfs"`),
			errorOn(ost+".google", `is set but provider is "nfs"`),
		}},
	})
}

// Findings come in the same order every time (they were once produced by
// ranging over a map).
func TestValidateObjectStoreDeterministic(t *testing.T) {
	r := withStore(nfsStore())
	r.Spec.ObjectStore.S3, r.Spec.ObjectStore.Azure, r.Spec.ObjectStore.Google = s3Store().S3, azureStore().Azure, googleStore().Google
	first := r.Validate()
	for i := 0; i < 50; i++ {
		got := r.Validate()
		for j := range first {
			if got[j] != first[j] {
				t.Fatalf("run %d: finding %d = %v, first run had %v", i, j, got[j], first[j])
			}
		}
	}
}

func TestValidateObjectStoreS3(t *testing.T) {
	const (
		ost = "spec.objectStore"
		s3  = ost + ".s3"
	)
	bucket := func(b string) func(o *ObjectStore) { return func(o *ObjectStore) { o.Bucket = b } }
	endpoint := func(e string) func(o *ObjectStore) { return func(o *ObjectStore) { o.S3.Endpoint = e } }
	runStoreCases(t, []storeCase{
		// bucket: Amazon's naming rules
		{"bucket missing", s3Store, bucket(""), []expect{errorOn(ost+".bucket", "is required")}},
		{"bucket 3 characters", s3Store, bucket("px1"), nil},
		{"bucket 63 characters", s3Store, bucket(strings.Repeat("a", 63)), nil},
		{"bucket with dots", s3Store, bucket("px.dr.west"), nil},
		{"bucket too short", s3Store, bucket("px"),
			[]expect{errorOn(ost+".bucket", `"px" is not a valid S3 bucket name: 3-63 characters, lowercase letters, digits, '.' and '-', starting and ending with a letter or digit`)}},
		{"bucket too long", s3Store, bucket(strings.Repeat("a", 64)),
			[]expect{errorOn(ost+".bucket", "is not a valid S3 bucket name: 3-63 characters")}},
		{"bucket uppercase", s3Store, bucket("Px-Bucket"), []expect{errorOn(ost+".bucket", `"Px-Bucket" is not a valid S3 bucket name: 3-63`)}},
		{"bucket underscore", s3Store, bucket("px_bucket"), []expect{errorOn(ost+".bucket", "is not a valid S3 bucket name: 3-63")}},
		{"bucket leading hyphen", s3Store, bucket("-px-bucket"), []expect{errorOn(ost+".bucket", "starting and ending with a letter or digit")}},
		{"bucket trailing period", s3Store, bucket("px-bucket."), []expect{errorOn(ost+".bucket", "starting and ending with a letter or digit")}},
		{"bucket adjacent periods", s3Store, bucket("px..bucket"),
			[]expect{errorOn(ost+".bucket", `"px..bucket" is not a valid S3 bucket name: no two adjacent periods`)}},
		{"bucket like an IP address", s3Store, bucket("192.168.5.4"),
			[]expect{errorOn(ost+".bucket", `"192.168.5.4" is not a valid S3 bucket name: it must not look like an IP address`)}},
		{"bucket xn-- prefix", s3Store, bucket("xn--px-bucket"),
			[]expect{errorOn(ost+".bucket", `"xn--px-bucket" is not a valid S3 bucket name: reserved prefix or suffix`)}},
		{"bucket -s3alias suffix", s3Store, bucket("px-bucket-s3alias"),
			[]expect{errorOn(ost+".bucket", "reserved prefix or suffix")}},
		{"bucket is checked before the settings", s3Store, func(o *ObjectStore) { o.Bucket, o.S3 = "", nil },
			[]expect{
				errorOn(ost+".bucket", "is required"),
				errorOn(s3, "is required with provider s3 (accessKeyID and secretAccessKey at least)"),
			}},

		// endpoint
		{"endpoint host:port", s3Store, endpoint("minio.storage.svc:9000"), nil},
		{"endpoint IPv4:port", s3Store, endpoint("10.0.0.5:9000"), nil},
		{"endpoint IPv6:port", s3Store, endpoint("[fd00::5]:9000"), nil},
		{"endpoint regional AWS", s3Store, endpoint("s3.eu-west-1.amazonaws.com"), nil},
		{"endpoint with scheme", s3Store, endpoint("https://minio.local:9000"),
			[]expect{errorOn(s3+".endpoint", `"https://minio.local:9000" must be a host[:port] without scheme (use disableSSL for plain http)`)}},
		{"endpoint with path", s3Store, endpoint("minio.local/px"),
			[]expect{errorOn(s3+".endpoint", `"minio.local/px" must be a host[:port] only`)}},
		{"endpoint with credentials", s3Store, endpoint("key@minio.local"),
			[]expect{errorOn(s3+".endpoint", "(invalid URL) must be a host[:port] only")}},
		{"endpoint with a scheme and credentials", s3Store, endpoint("https://key:pw@minio.local:9000/?x=1"),
			[]expect{errorOn(s3+".endpoint", "https://minio.local:9000 must be a host[:port] without scheme")}},
		{"endpoint with a space", s3Store, endpoint("minio local"),
			[]expect{errorOn(s3+".endpoint", "must be a host[:port] only")}},
		{"endpoint port 0", s3Store, endpoint("minio.local:0"),
			[]expect{errorOn(s3+".endpoint", `"minio.local:0" has an invalid port`)}},
		{"endpoint port too high", s3Store, endpoint("minio.local:65536"),
			[]expect{errorOn(s3+".endpoint", "has an invalid port")}},
		{"endpoint port not a number", s3Store, endpoint("minio.local:http"),
			[]expect{errorOn(s3+".endpoint", "has an invalid port")}},
		{"endpoint port with a sign", s3Store, endpoint("minio.local:+9000"),
			[]expect{errorOn(s3+".endpoint", "has an invalid port")}},
		{"endpoint port empty", s3Store, endpoint("minio.local:"),
			[]expect{errorOn(s3+".endpoint", "has an invalid port")}},
		{"endpoint host underscore", s3Store, endpoint("minio_local:9000"),
			[]expect{errorOn(s3+".endpoint", `"minio_local:9000" is not a valid host name or IP address`)}},
		{"endpoint bad IPv4", s3Store, endpoint("10.0.0.256"),
			[]expect{errorOn(s3+".endpoint", "is not a valid host name or IP address")}},

		// region (Default fills it in; Validate sees what remains)
		{"region", s3Store, func(o *ObjectStore) { o.S3.Region = "eu-central-1" }, nil},
		{"region with spaces", s3Store, func(o *ObjectStore) { o.S3.Region = "EU West" },
			[]expect{errorOn(s3+".region", `"EU West" is not a region name (lowercase letters, digits and '-', e.g. us-east-1)`)}},
		{"region with underscores", s3Store, func(o *ObjectStore) { o.S3.Region = "us_east_1" },
			[]expect{errorOn(s3+".region", "is not a region name")}},
		{"region empty (not defaulted)", s3Store, func(o *ObjectStore) { o.S3.Region = "" },
			[]expect{errorOn(s3+".region", `"" is not a region name`)}},

		// sse
		{"sse AES256", s3Store, func(o *ObjectStore) { o.S3.SSE = "AES256" }, nil},
		{"sse aws:kms", s3Store, func(o *ObjectStore) { o.S3.SSE = "aws:kms" }, nil},
		{"sse unknown", s3Store, func(o *ObjectStore) { o.S3.SSE = "kms" },
			[]expect{errorOn(s3+".sse", `"kms" is not supported: use AES256 or aws:kms`)}},
		{"sse is case-sensitive", s3Store, func(o *ObjectStore) { o.S3.SSE = "aes256" },
			[]expect{errorOn(s3+".sse", `"aes256" is not supported`)}},

		// storageClass
		{"storageClass", s3Store, func(o *ObjectStore) { o.S3.StorageClass = "GLACIER_IR" }, nil},
		{"storageClass lowercase", s3Store, func(o *ObjectStore) { o.S3.StorageClass = "standard" },
			[]expect{errorOn(s3+".storageClass", `"standard" is not a storage class name (e.g. STANDARD, STANDARD_IA, GLACIER_IR)`)}},
		{"storageClass with a hyphen", s3Store, func(o *ObjectStore) { o.S3.StorageClass = "STANDARD-IA" },
			[]expect{errorOn(s3+".storageClass", "is not a storage class name")}},

		// disableSSL
		{"disableSSL with Amazon S3", s3Store, func(o *ObjectStore) { o.S3.DisableSSL = true },
			[]expect{errorOn(s3+".disableSSL", "cannot be used with Amazon S3 (s3.amazonaws.com), which requires TLS")}},
		{"disableSSL with another endpoint", s3Store, func(o *ObjectStore) {
			o.S3.Endpoint, o.S3.DisableSSL = "minio.storage.svc:9000", true
		}, []expect{warnOn(s3+".disableSSL", "is true: the object store credentials and data cross the network unencrypted")}},

		// credentials
		{"accessKeyID file missing", s3Store, func(o *ObjectStore) { o.S3.AccessKeyID = SecretRef{} },
			[]expect{errorOn(s3+".accessKeyID.file", "is required")}},
		{"accessKeyID key empty segment", s3Store, func(o *ObjectStore) { o.S3.AccessKeyID.Key = "s3..id" },
			[]expect{errorOn(s3+".accessKeyID.key", `"s3..id" has an empty segment`)}},
		{"secretAccessKey absolute", s3Store, func(o *ObjectStore) { o.S3.SecretAccessKey.File = "/etc/s3.yaml" },
			[]expect{errorOn(s3+".secretAccessKey.file", "must be relative to the directory of the request")}},
		{"secretAccessKey bad format", s3Store, func(o *ObjectStore) { o.S3.SecretAccessKey.Format = "yml" },
			[]expect{errorOn(s3+".secretAccessKey.format", `"yml" is not supported`)}},
		{"secretAccessKey allowUnencrypted", s3Store, func(o *ObjectStore) { o.S3.SecretAccessKey.AllowUnencrypted = true },
			[]expect{warnOn(s3+".secretAccessKey.allowUnencrypted", "never use this for a real credential")}},
	})
}

func TestValidateObjectStoreAzure(t *testing.T) {
	const (
		ost = "spec.objectStore"
		az  = ost + ".azure"
	)
	bucket := func(b string) func(o *ObjectStore) { return func(o *ObjectStore) { o.Bucket = b } }
	account := func(a string) func(o *ObjectStore) { return func(o *ObjectStore) { o.Azure.AccountName = a } }
	group := func(g string) func(o *ObjectStore) { return func(o *ObjectStore) { o.Azure.ResourceGroup = g } }
	runStoreCases(t, []storeCase{
		// container
		{"container missing", azureStore, bucket(""), []expect{errorOn(ost+".bucket", "is required: the blob container")}},
		{"container 3 characters", azureStore, bucket("px1"), nil},
		{"container 63 characters", azureStore, bucket(strings.Repeat("a", 63)), nil},
		{"container 63 characters with hyphens", azureStore, bucket(strings.Repeat("a-", 31) + "a"), nil},
		{"container too short", azureStore, bucket("px"),
			[]expect{errorOn(ost+".bucket", `"px" is not a valid Azure container name: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit`)}},
		{"container too long", azureStore, bucket(strings.Repeat("a", 64)),
			[]expect{errorOn(ost+".bucket", "is not a valid Azure container name")}},
		{"container too long with hyphens", azureStore, bucket(strings.Repeat("a-", 32) + "a"),
			[]expect{errorOn(ost+".bucket", "is not a valid Azure container name")}},
		{"container uppercase", azureStore, bucket("PxDr"), []expect{errorOn(ost+".bucket", "is not a valid Azure container name")}},
		{"container double hyphen", azureStore, bucket("px--dr"), []expect{errorOn(ost+".bucket", `"px--dr" is not a valid Azure container name`)}},
		{"container leading hyphen", azureStore, bucket("-pxdr"), []expect{errorOn(ost+".bucket", "is not a valid Azure container name")}},
		{"container trailing hyphen", azureStore, bucket("pxdr-"), []expect{errorOn(ost+".bucket", "is not a valid Azure container name")}},
		{"container with a dot", azureStore, bucket("px.dr"), []expect{errorOn(ost+".bucket", "is not a valid Azure container name")}},

		{"settings missing", azureStore, func(o *ObjectStore) { o.Azure = nil },
			[]expect{errorOn(az, "is required with provider azure (accountName and accountKey)")}},

		// accountName
		{"accountName 24 characters", azureStore, account(strings.Repeat("a", 24)), nil},
		{"accountName missing", azureStore, account(""),
			[]expect{errorOn(az+".accountName", `"" is not a valid storage account name: 3-24 lowercase letters and digits`)}},
		{"accountName too short", azureStore, account("px"), []expect{errorOn(az+".accountName", "is not a valid storage account name")}},
		{"accountName too long", azureStore, account(strings.Repeat("a", 25)), []expect{errorOn(az+".accountName", "is not a valid storage account name")}},
		{"accountName uppercase", azureStore, account("PxDrWest"), []expect{errorOn(az+".accountName", `"PxDrWest" is not a valid storage account name`)}},
		{"accountName hyphen", azureStore, account("px-dr-west"), []expect{errorOn(az+".accountName", "is not a valid storage account name")}},

		// environment
		{"environment public", azureStore, func(o *ObjectStore) { o.Azure.Environment = "AzurePublicCloud" }, nil},
		{"environment China", azureStore, func(o *ObjectStore) { o.Azure.Environment = "AzureChinaCloud" }, nil},
		{"environment US government", azureStore, func(o *ObjectStore) { o.Azure.Environment = "AzureUSGovernmentCloud" }, nil},
		{"environment unknown", azureStore, func(o *ObjectStore) { o.Azure.Environment = "AzureCloud" },
			[]expect{errorOn(az+".environment", `"AzureCloud" is not supported: use one of AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud`)}},
		{"environment is case-sensitive", azureStore, func(o *ObjectStore) { o.Azure.Environment = "azurepubliccloud" },
			[]expect{errorOn(az+".environment", "is not supported")}},

		// resourceGroup
		{"resourceGroup", azureStore, group("dr-rg_(west).1"), nil},
		{"resourceGroup 90 characters", azureStore, group(strings.Repeat("r", 90)), nil},
		{"resourceGroup too long", azureStore, group(strings.Repeat("r", 91)),
			[]expect{errorOn(az+".resourceGroup", "is not a valid resource group name")}},
		{"resourceGroup trailing period", azureStore, group("dr-rg."),
			[]expect{errorOn(az+".resourceGroup", `"dr-rg." is not a valid resource group name`)}},
		{"resourceGroup with a space", azureStore, group("dr rg"),
			[]expect{errorOn(az+".resourceGroup", "is not a valid resource group name")}},
		{"resourceGroup with a slash", azureStore, group("dr/rg"),
			[]expect{errorOn(az+".resourceGroup", "is not a valid resource group name")}},

		// accountKey
		{"accountKey file missing", azureStore, func(o *ObjectStore) { o.Azure.AccountKey = SecretRef{} },
			[]expect{errorOn(az+".accountKey.file", "is required")}},
		{"accountKey allowUnencrypted", azureStore, func(o *ObjectStore) { o.Azure.AccountKey.AllowUnencrypted = true },
			[]expect{warnOn(az+".accountKey.allowUnencrypted", "is true")}},
	})
}

func TestValidateObjectStoreGoogle(t *testing.T) {
	const (
		ost = "spec.objectStore"
		g   = ost + ".google"
	)
	bucket := func(b string) func(o *ObjectStore) { return func(o *ObjectStore) { o.Bucket = b } }
	project := func(p string) func(o *ObjectStore) { return func(o *ObjectStore) { o.Google.ProjectID = p } }
	dotted := strings.Repeat(strings.Repeat("a", 20)+".", 10) + "a" // 211 characters
	runStoreCases(t, []storeCase{
		// bucket
		{"bucket missing", googleStore, bucket(""), []expect{errorOn(ost+".bucket", "is required")}},
		{"bucket with underscore", googleStore, bucket("px_dr_west"), nil},
		{"bucket 63 characters", googleStore, bucket(strings.Repeat("a", 63)), nil},
		{"bucket with dots, over 63 characters", googleStore, bucket(dotted), nil},
		{"bucket too short", googleStore, bucket("px"),
			[]expect{errorOn(ost+".bucket", `"px" is not a valid Cloud Storage bucket name: 3-63 characters (222 with dots), lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit`)}},
		{"bucket over 63 characters without dots", googleStore, bucket(strings.Repeat("a", 64)),
			[]expect{errorOn(ost+".bucket", "is not a valid Cloud Storage bucket name")}},
		{"bucket over 222 characters", googleStore, bucket(dotted + ".aaaaaaaaaaaa"),
			[]expect{errorOn(ost+".bucket", "is not a valid Cloud Storage bucket name")}},
		{"bucket uppercase", googleStore, bucket("Px-Dr"), []expect{errorOn(ost+".bucket", "is not a valid Cloud Storage bucket name")}},
		{"bucket trailing underscore", googleStore, bucket("px-dr_"), []expect{errorOn(ost+".bucket", "is not a valid Cloud Storage bucket name")}},
		{"bucket goog prefix", googleStore, bucket("goog-backups"),
			[]expect{errorOn(ost+".bucket", `"goog-backups" is not a valid Cloud Storage bucket name: it must not start with "goog" or contain "google"`)}},
		{"bucket contains google", googleStore, bucket("px-google-dr"),
			[]expect{errorOn(ost+".bucket", `must not start with "goog" or contain "google"`)}},

		{"settings missing", googleStore, func(o *ObjectStore) { o.Google = nil },
			[]expect{errorOn(g, "is required with provider google (projectID and accountKey)")}},

		// projectID
		{"projectID 6 characters", googleStore, project("abcdef"), nil},
		{"projectID 30 characters", googleStore, project("a" + strings.Repeat("b", 29)), nil},
		{"projectID missing", googleStore, project(""),
			[]expect{errorOn(g+".projectID", `"" is not a valid project ID: 6-30 lowercase letters, digits and '-', starting with a letter`)}},
		{"projectID too short", googleStore, project("demo1"), []expect{errorOn(g+".projectID", "is not a valid project ID")}},
		{"projectID too long", googleStore, project("a" + strings.Repeat("b", 30)), []expect{errorOn(g+".projectID", "is not a valid project ID")}},
		{"projectID leading digit", googleStore, project("1demo-project"), []expect{errorOn(g+".projectID", `"1demo-project" is not a valid project ID`)}},
		{"projectID trailing hyphen", googleStore, project("demo-project-"), []expect{errorOn(g+".projectID", "is not a valid project ID")}},
		{"projectID uppercase", googleStore, project("Demo-Project"), []expect{errorOn(g+".projectID", "is not a valid project ID")}},
		{"projectID project number", googleStore, project("123456789012"), []expect{errorOn(g+".projectID", "is not a valid project ID")}},

		// accountKey
		{"accountKey file missing", googleStore, func(o *ObjectStore) { o.Google.AccountKey = SecretRef{} },
			[]expect{errorOn(g+".accountKey.file", "is required")}},
		{"accountKey with a key", googleStore, func(o *ObjectStore) { o.Google.AccountKey = SecretRef{File: "gcp.yaml", Key: "serviceAccount"} }, nil},
		{"accountKey bad format", googleStore, func(o *ObjectStore) { o.Google.AccountKey.Format = "JSON" },
			[]expect{errorOn(g+".accountKey.format", `"JSON" is not supported`)}},
	})
}

func TestValidateObjectStoreNFS(t *testing.T) {
	const (
		ost = "spec.objectStore"
		n   = ost + ".nfs"
	)
	server := func(s string) func(o *ObjectStore) { return func(o *ObjectStore) { o.NFS.Server = s } }
	export := func(p string) func(o *ObjectStore) { return func(o *ObjectStore) { o.NFS.ExportPath = p } }
	sub := func(p string) func(o *ObjectStore) { return func(o *ObjectStore) { o.NFS.SubPath = p } }
	timeout := func(s int) func(o *ObjectStore) { return func(o *ObjectStore) { o.NFS.TimeoutSeconds = s } }
	runStoreCases(t, []storeCase{
		{"bucket does not apply", nfsStore, func(o *ObjectStore) { o.Bucket = "px" },
			[]expect{errorOn(ost+".bucket", "does not apply to nfs: use nfs.exportPath and nfs.subPath")}},
		{"settings missing", nfsStore, func(o *ObjectStore) { o.NFS = nil },
			[]expect{errorOn(n, "is required with provider nfs (server and exportPath)")}},
		{"mountOptions", nfsStore, func(o *ObjectStore) { o.NFS.MountOptions = "nfsvers=4.1,hard" }, nil},

		// server
		{"server IPv4", nfsStore, server("10.0.0.20"), nil},
		{"server IPv6", nfsStore, server("fd00::20"), nil},
		{"server missing", nfsStore, server(""), []expect{errorOn(n+".server", "is required")}},
		{"server with port", nfsStore, server("nfs.west.example.com:2049"),
			[]expect{errorOn(n+".server", `"nfs.west.example.com:2049" is not a host name or IP address`)}},
		{"server with scheme", nfsStore, server("nfs://nfs.west.example.com"),
			[]expect{errorOn(n+".server", "is not a host name or IP address")}},
		{"server with export path", nfsStore, server("nfs.west.example.com:/exports/px"),
			[]expect{errorOn(n+".server", "is not a host name or IP address")}},
		{"server underscore", nfsStore, server("nfs_west"), []expect{errorOn(n+".server", "is not a host name or IP address")}},

		// exportPath
		{"exportPath root", nfsStore, export("/"), nil},
		{"exportPath missing", nfsStore, export(""),
			[]expect{errorOn(n+".exportPath", `"" must be a clean absolute path, like /exports/px`)}},
		{"exportPath relative", nfsStore, export("exports/px"), []expect{errorOn(n+".exportPath", `"exports/px" must be a clean absolute path`)}},
		{"exportPath trailing slash", nfsStore, export("/exports/px/"), []expect{errorOn(n+".exportPath", "must be a clean absolute path")}},
		{"exportPath with dot-dot", nfsStore, export("/exports/../px"), []expect{errorOn(n+".exportPath", "must be a clean absolute path")}},
		{"exportPath double slash", nfsStore, export("//exports"), []expect{errorOn(n+".exportPath", "must be a clean absolute path")}},

		// subPath
		{"subPath", nfsStore, sub("dr/west"), nil},
		{"subPath dot-dot inside", nfsStore, sub("dr/../west"), nil},
		{"subPath starting with two dots", nfsStore, sub("..backups"), nil},
		{"subPath absolute", nfsStore, sub("/dr-west"),
			[]expect{errorOn(n+".subPath", `"/dr-west" must be a relative path under the export`)}},
		{"subPath parent", nfsStore, sub("../dr-west"), []expect{errorOn(n+".subPath", "must be a relative path under the export")}},
		{"subPath parent after cleaning", nfsStore, sub("dr/../../west"), []expect{errorOn(n+".subPath", "must be a relative path under the export")}},
		{"subPath dot-dot alone", nfsStore, sub(".."), []expect{errorOn(n+".subPath", "must be a relative path under the export")}},

		// timeoutSeconds (Default sets 5 when omitted)
		{"timeout 1", nfsStore, timeout(1), nil},
		{"timeout 30", nfsStore, timeout(30), nil},
		{"timeout 0 (not defaulted)", nfsStore, timeout(0), []expect{errorOn(n+".timeoutSeconds", "0 is out of range 1-30")}},
		{"timeout 31", nfsStore, timeout(31), []expect{errorOn(n+".timeoutSeconds", "31 is out of range 1-30")}},
		{"timeout negative", nfsStore, timeout(-5), []expect{errorOn(n+".timeoutSeconds", "-5 is out of range 1-30")}},
	})
}
