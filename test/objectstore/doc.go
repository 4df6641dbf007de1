// Package objectstore is the tools module of the object-store credential
// check's tests (pkg/check/objectstore): cmd/objstore-server runs, on
// loopback, real object-store servers from their Go modules —
// github.com/johannesboyne/gofakes3 (S3) and
// github.com/fsouza/fake-gcs-server/fakestorage (Google Cloud Storage) —
// with the authentication their production counterparts enforce added in
// front of them (see cmd/objstore-server). It is its own module so that the
// main go.mod does not pull these servers and their dependencies (minio-go,
// gorilla, bbolt...), and no production binary can link them.
package objectstore
