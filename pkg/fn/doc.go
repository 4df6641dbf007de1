// Package fn is the KRM function and the one render path every command
// shares. One request goes from stdin to stdout through one function per
// step:
//
//  1. read: readResourceList reads stdin once, at most
//     secrets.MaxInputSize bytes, and refuses more than
//     secrets.MaxInputSeparators YAML separators before parsing;
//  2. parse: readResourceList parses the ResourceList (the fn SDK);
//  3. find: findRequests finds every ClusterPairRequest (the functionConfig
//     under a kustomize generator, the items under a transformer or kpt),
//     refuses an unknown version and more than secrets.Limits.MaxRequests;
//  4. locate: locate places each request inside the operator's root by its
//     path annotations, which may never leave it (RenderFiles: by the file
//     it was read from);
//  5. decode: Request.decode decodes each request once (v1alpha1.Load: one
//     YAML parse, defaulted, validated);
//  6. render: Processor.RenderRequest renders one side of one request:
//     side selection, the plaintext guard, the side's secret references
//     (v1alpha1's SecretRefs) resolved through a secrets.Resolver, the
//     transform (package transform), and emit (encode, and encrypt as
//     spec.output.encrypt asks, keeping earlier ciphertext);
//  7. report: Process turns every finding into a KRM result and one line
//     on the log (LogFindings when there is no ResourceList);
//  8. write: writeResourceList writes the ResourceList, one item at a time.
//
// Process is steps 3 to 7 over a ResourceList (Render is 3 to 6, typed),
// Run is all of them. RenderFiles (build) renders requests read from files,
// RenderEach (check) one request for each of its sides; both, and new
// (package author, from in-memory plaintext through
// secrets.NewMemoryResolver), reach the same RenderRequest.
//
// All or nothing: when any request has an error, no rendered object is added
// to the output and Process returns ErrFailed, so the command exits non-zero.
// Requests stay in the output, marked local-config (kpt deletes the file of
// an item a function drops; kustomize leaves local-config objects out of its
// build), except in a successful kustomize generator run, which returns only
// what it rendered (see generatorConfigItem). Rendered objects are upserted,
// so running twice never duplicates them.
package fn
