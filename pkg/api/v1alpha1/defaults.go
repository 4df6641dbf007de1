package v1alpha1

const (
	// DefaultS3Endpoint is the S3 endpoint used when spec.objectStore.s3.endpoint is omitted.
	DefaultS3Endpoint = "s3.amazonaws.com"
	// DefaultS3Region is the S3 region used when spec.objectStore.s3.region is omitted.
	DefaultS3Region = "us-east-1"
	// DefaultNFSTimeoutSeconds is the NFS I/O timeout used when omitted.
	DefaultNFSTimeoutSeconds = 5
)

// Default fills in the defaults of omitted optional fields. It is idempotent.
func (r *ClusterPairRequest) Default() {
	if r.Spec.CredentialExpiryWarning == "" {
		r.Spec.CredentialExpiryWarning = DefaultCredentialExpiryWarning
	}
	if len(r.Spec.GitOpsEngines) == 0 {
		r.Spec.GitOpsEngines = append([]GitOpsEngine(nil), GitOpsEngines...)
	}
	defaultStorage(r.Spec.Storage)
	if rev := r.Spec.Reverse; rev != nil {
		defaultStorage(rev.Storage)
	}
	if os := r.Spec.ObjectStore; os != nil {
		if s3 := os.S3; s3 != nil {
			if s3.Endpoint == "" {
				s3.Endpoint = DefaultS3Endpoint
			}
			if s3.Region == "" {
				s3.Region = DefaultS3Region
			}
		}
		if nfs := os.NFS; nfs != nil && nfs.TimeoutSeconds == 0 {
			nfs.TimeoutSeconds = DefaultNFSTimeoutSeconds
		}
	}
}

func defaultStorage(s *Storage) {
	if s != nil && s.Port == 0 {
		s.Port = DefaultPortworxPort
	}
}
