// Package fn is the KRM function: it finds every ClusterPairRequest in a
// ResourceList (the functionConfig under a kustomize generator, the items
// under a kustomize transformer or kpt), resolves each request's secrets,
// renders its Stork objects and reports findings as KRM results and as one
// readable line each on stderr.
//
// All or nothing: when any request has an error, no rendered object is added
// to the output and Process returns an error, so the command exits non-zero.
// Requests stay in the output, marked local-config (kpt deletes the file of
// an item a function drops; kustomize leaves local-config objects out of its
// build), except in a successful kustomize generator run, which returns only
// what it rendered (see generatorConfigItem). Rendered objects are upserted,
// so running twice never duplicates them.
//
// Render runs the same steps and returns their typed outcome instead of
// writing it into the ResourceList: each request's findings and the side's
// transform output before it is encoded and encrypted. check uses it.
package fn
