// Package objectstore is check --live's object-store credential check: it
// tries a rendered BackupLocation's credentials the way Stork's
// pkg/objectstore opens the bucket (Stork v24.3.2; the source of Stork
// 25.x's `storkctl validate backuplocation` is not published), and proves
// they may read and write it:
//
//   - s3 (Amazon S3 and S3-compatible stores): the AWS SDK for Go v2 with
//     the Secret's endpoint (none for s3.amazonaws.com: the SDK resolves the
//     region's, as Stork does), region, disableSSL and path-style addressing
//     (Stork forces it); then HeadBucket, PutObject of a uniquely named probe
//     object (with the Secret's sse and storageClass, as Portworx writes),
//     GetObject (its content compared), DeleteObject.
//   - google: cloud.google.com/go/storage authenticated as Stork does
//     (google.JWTConfigFromJSON of the accountKey, scope
//     devstorage.full_control); then the bucket's attributes (GET
//     .../b/BUCKET), an upload of the probe object, its download (content
//     compared), its deletion.
//   - azure: skipped. No Azure Blob test server runs on this machine
//     (Azurite is a Node program and no Go implementation is served), and a
//     check that was never run against a server is not shipped.
//   - nfs: skipped: Portworx mounts the export from the cluster's nodes.
//
// Once the probe object's upload was attempted, its deletion is attempted
// too, whatever failed in between; a deletion that fails is reported with
// the object's name. Nothing else is written. Results name the provider,
// the bucket, the endpoint (scheme, host, port), each call and its outcome
// (HTTP status and the service's error code), never a secret key, an access
// key ID, a service-account key or a response body.
//
// The package links the AWS and Google client libraries, which the full
// build already carries (the sops KMS key sources): only pkg/check, which
// only the full build links, may import it.
package objectstore
