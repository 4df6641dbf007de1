package fn

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// EncryptedRegex selects what of a rendered object is encrypted: everything
// under spec, data and stringData. apiVersion, kind and metadata stay
// readable for review, for kustomize and kpt, and for Flux.
const EncryptedRegex = "^(spec|data|stringData)$"

// plaintextGuard refuses to render plaintext credentials where the output is
// written back into the package (kpt render, which sets package-path),
// unless the request explicitly allows it.
func plaintextGuard(req *Request, output v1alpha1.Output, field string) *diag.Finding {
	if req.fromFile || req.object.GetAnnotation(PackagePathAnnotation) == "" || output.Encrypt != nil || output.Plaintext == v1alpha1.PlaintextAllow {
		return nil
	}
	return &diag.Finding{Severity: diag.Error, Field: field + ".encrypt", Message: "kpt writes this render back into the package, so the ClusterPair's credentials would land on disk in plaintext: set output.encrypt (SOPS recipients), or output.plaintext: allow to accept that explicitly"}
}

// emit turns a side's rendered objects into KRM objects: encoded, placed
// next to the request, and SOPS-encrypted when the output asks for it,
// keeping earlier ciphertext whenever it still decrypts to the same object.
func (p *Processor) emit(req *Request, res *secrets.Resolver, out *transform.Output, output v1alpha1.Output, field string) ([]*sdk.KubeObject, diag.Findings) {
	var fs diag.Findings
	// Earlier encrypted output: in output.file, else among the items (kpt).
	var fromFile map[objectID]*sdk.KubeObject
	if output.Encrypt != nil && output.File != "" {
		prev, f := previousFromFile(res, output.File, field+".file")
		if f != nil {
			fs.Add(*f)
		}
		fromFile = map[objectID]*sdk.KubeObject{}
		for _, o := range prev {
			if _, found, _ := o.NestedSubObject("sops"); found {
				fromFile[idOf(o)] = o
			}
		}
	}
	previous := func(id objectID) *sdk.KubeObject {
		if o := fromFile[id]; o != nil {
			return o
		}
		return req.earlier[id]
	}
	var objects []*sdk.KubeObject
	for _, o := range out.Objects() {
		plain, err := yaml.Marshal(o)
		if err != nil {
			fs.Errorf("", "encoding a rendered object: %s", err)
			return nil, fs
		}
		obj, err := sdk.ParseKubeObject(plain)
		if err != nil {
			fs.Errorf("", "encoding a rendered object: %s", err)
			return nil, fs
		}
		if output.Encrypt != nil {
			enc, f := p.encrypt(obj, plain, previous, *output.Encrypt, field+".encrypt")
			if f != nil {
				fs.Add(*f)
				if f.Severity == diag.Error {
					return nil, fs
				}
			}
			obj = enc
		}
		if p := outputPath(req, obj.GetKind(), obj.GetName()); p != "" && obj.PathAnnotation() != p {
			for _, a := range []string{sdk.PathAnnotation, legacyPathAnnotation} {
				if err := obj.SetAnnotation(a, p); err != nil {
					fs.Errorf("", "annotating a rendered object: %s", err)
					return nil, fs
				}
			}
		}
		objects = append(objects, obj)
	}
	return objects, fs
}

// encrypt returns the earlier encrypted version of obj when it decrypts to
// the same object, and a fresh encryption otherwise. A warning says when an
// earlier version exists but cannot be decrypted here.
func (p *Processor) encrypt(obj *sdk.KubeObject, plain []byte, previous func(objectID) *sdk.KubeObject, enc v1alpha1.Encryption, field string) (*sdk.KubeObject, *diag.Finding) {
	var warning *diag.Finding
	opts := secrets.EncryptOptions{
		Groups:           keyGroups(enc),
		ShamirThreshold:  enc.ShamirThreshold,
		EncryptedRegex:   EncryptedRegex,
		MACOnlyEncrypted: true,
		Policy:           secrets.PolicyOf(p.Decryptor),
	}
	// Earlier output is the repository's: it is reused only when it is
	// what this render would write, encryption included (found by review:
	// a "hollow" file whose encrypted_regex matched nothing was reused).
	if prev := previous(idOf(obj)); prev != nil && FullyEncrypted(prev) && SameEncryption(prev, opts) {
		same, err := p.samePlaintext(prev, plain)
		switch {
		case err != nil:
			warning = &diag.Finding{Severity: diag.Warning, Field: field, Message: fmt.Sprintf("the earlier encrypted %s %s cannot be decrypted here (%s), so it is re-encrypted and its ciphertext changes; add a recipient whose key this renderer holds to keep renders stable", obj.GetKind(), obj.GetName(), secrets.ReasonOf(err))}
		case same:
			return prev, nil
		}
	}
	if p.Encryptor == nil {
		return nil, &diag.Finding{Severity: diag.Error, Field: field, Message: fmt.Sprintf("encrypting the %s: %s", obj.GetKind(), secrets.ErrNoEncryptor)}
	}
	ciphertext, err := p.Encryptor.EncryptYAML(plain, opts)
	if err != nil {
		return nil, &diag.Finding{Severity: diag.Error, Field: field, Message: fmt.Sprintf("encrypting the %s: %s", obj.GetKind(), err)}
	}
	out, err := sdk.ParseKubeObject(ciphertext)
	if err != nil {
		return nil, &diag.Finding{Severity: diag.Error, Field: field, Message: fmt.Sprintf("encrypting the %s: the result does not parse: %s", obj.GetKind(), err)}
	}
	return out, warning
}

// previousFromFile reads the committed encrypted output of a side.
func previousFromFile(res *secrets.Resolver, file, field string) ([]*sdk.KubeObject, *diag.Finding) {
	data, err := res.ReadFile(file)
	if secrets.ReasonOf(err) == secrets.ReasonNotFound {
		return nil, nil // first render
	}
	if err != nil {
		return nil, &diag.Finding{Severity: diag.Error, Field: field, File: file, Message: err.Error()}
	}
	objs, err := sdk.ParseKubeObjects(data)
	if err != nil {
		return nil, &diag.Finding{Severity: diag.Warning, Field: field, File: file, Message: "is not a YAML stream of objects; it is ignored and the output re-encrypted"}
	}
	return objs, nil
}

// samePlaintext decrypts an earlier encrypted object and compares it with a
// new plaintext rendering, ignoring annotations that orchestrators add.
func (p *Processor) samePlaintext(prev *sdk.KubeObject, plain []byte) (bool, error) {
	doc, err := p.Decryptor.Decrypt("earlier output", []byte(prev.String()), secrets.FormatYAML)
	if err != nil {
		return false, err
	}
	old, err := doc.Whole("earlier output")
	if err != nil {
		return false, err
	}
	a, errA := normalized(old.Bytes())
	b, errB := normalized(plain)
	if errA != nil || errB != nil {
		return false, nil
	}
	return reflect.DeepEqual(a, b), nil
}

// orchestratorAnnotations are prefixes of annotations kustomize and kpt add.
var orchestratorAnnotations = []string{"internal.config.kubernetes.io/", "config.kubernetes.io/path", "config.kubernetes.io/index", "config.k8s.io/id", "kustomize.config.k8s.io/"}

func normalized(data []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, err
	}
	delete(m, "sops")
	if meta, ok := m["metadata"].(map[string]any); ok {
		if ann, ok := meta["annotations"].(map[string]any); ok {
			for k := range ann {
				for _, p := range orchestratorAnnotations {
					if strings.HasPrefix(k, p) {
						delete(ann, k)
					}
				}
			}
			if len(ann) == 0 {
				delete(meta, "annotations")
			}
		}
	}
	return m, nil
}

// keyGroups converts the request's recipients to the secrets package's.
func keyGroups(e v1alpha1.Encryption) []secrets.KeyGroup {
	conv := func(r v1alpha1.Recipients) secrets.KeyGroup {
		g := secrets.KeyGroup{Age: r.Age, PGP: r.PGP, GCPKMS: r.GCPKMS, AzureKeyVault: r.AzureKeyVault, HCVaultTransit: r.HCVaultTransit}
		for _, k := range r.AWSKMS {
			g.AWSKMS = append(g.AWSKMS, secrets.AWSKMSKey{ARN: k.ARN, Role: k.Role, Profile: k.Profile, Context: k.Context})
		}
		return g
	}
	if len(e.KeyGroups) == 0 {
		return []secrets.KeyGroup{conv(e.Recipients)}
	}
	groups := make([]secrets.KeyGroup, len(e.KeyGroups))
	for i, g := range e.KeyGroups {
		groups[i] = conv(g)
	}
	return groups
}

// outputPath places a rendered object next to its request (for kpt, which
// writes items to their path annotation).
func outputPath(req *Request, kind, name string) string {
	if req.file == "" || req.fromFile {
		return ""
	}
	return path.Join(path.Dir(req.file), strings.ToLower(kind)+"_"+name+".yaml")
}

// FullyEncrypted reports whether an object is SOPS-encrypted as this
// renderer writes it: a "sops" key, and every value under spec, data and
// stringData (EncryptedRegex) an encrypted one.
func FullyEncrypted(o *sdk.KubeObject) bool {
	if _, found, _ := o.NestedSubObject("sops"); !found {
		return false
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(o.String()), &m); err != nil {
		return false
	}
	for _, key := range []string{"spec", "data", "stringData"} {
		if v, ok := m[key]; ok && !allEncrypted(v) {
			return false
		}
	}
	return true
}

func allEncrypted(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if !allEncrypted(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !allEncrypted(e) {
				return false
			}
		}
		return true
	case string:
		return strings.HasPrefix(x, "ENC[AES256_GCM,")
	}
	return false // a number, bool or null is not encrypted
}

// SameEncryption reports whether an earlier encrypted object's sops
// metadata is what opts would write: the same encrypted_regex and
// mac_only_encrypted, Shamir threshold and recipients (all key groups
// together).
func SameEncryption(prev *sdk.KubeObject, opts secrets.EncryptOptions) bool {
	var m struct {
		Sops struct {
			EncryptedRegex   string           `json:"encrypted_regex"`
			MACOnlyEncrypted bool             `json:"mac_only_encrypted"`
			ShamirThreshold  int              `json:"shamir_threshold"`
			KeyGroups        []sopsRecipients `json:"key_groups"`
			sopsRecipients   `json:",inline"`
		} `json:"sops"`
	}
	if err := yaml.Unmarshal([]byte(prev.String()), &m); err != nil {
		return false
	}
	s := m.Sops
	if s.EncryptedRegex != opts.EncryptedRegex || s.MACOnlyEncrypted != opts.MACOnlyEncrypted {
		return false
	}
	if len(opts.Groups) > 1 && s.ShamirThreshold != opts.ShamirThreshold && opts.ShamirThreshold != 0 {
		return false
	}
	have := s.ids()
	for _, g := range s.KeyGroups {
		have = append(have, g.ids()...)
	}
	var want []string
	for _, g := range opts.Groups {
		for _, r := range g.Age {
			want = append(want, "age "+r)
		}
		for _, r := range g.PGP {
			want = append(want, "pgp "+strings.ToUpper(r))
		}
		for _, k := range g.AWSKMS {
			want = append(want, "kms "+k.ARN+"+"+k.Role)
		}
		for _, r := range g.GCPKMS {
			want = append(want, "gcp_kms "+r)
		}
		for _, r := range g.AzureKeyVault {
			want = append(want, "azure_kv "+r)
		}
		for _, r := range g.HCVaultTransit {
			want = append(want, "hc_vault "+r)
		}
	}
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want)
}

// sopsRecipients are the recipients a sops key group lists, as sops
// writes them.
type sopsRecipients struct {
	Age []struct {
		Recipient string `json:"recipient"`
	} `json:"age"`
	PGP []struct {
		FP string `json:"fp"`
	} `json:"pgp"`
	KMS []struct {
		ARN  string `json:"arn"`
		Role string `json:"role"`
	} `json:"kms"`
	GCPKMS []struct {
		ResourceID string `json:"resource_id"`
	} `json:"gcp_kms"`
	AzureKV []struct {
		VaultURL string `json:"vault_url"`
		Name     string `json:"name"`
		Version  string `json:"version"`
	} `json:"azure_kv"`
	HCVault []struct {
		VaultAddress string `json:"vault_address"`
		EnginePath   string `json:"engine_path"`
		KeyName      string `json:"key_name"`
	} `json:"hc_vault"`
}

// ids lists the recipients as "KIND ID", in the form a request names them.
func (r sopsRecipients) ids() []string {
	var out []string
	for _, k := range r.Age {
		out = append(out, "age "+k.Recipient)
	}
	for _, k := range r.PGP {
		out = append(out, "pgp "+strings.ToUpper(k.FP))
	}
	for _, k := range r.KMS {
		out = append(out, "kms "+k.ARN+"+"+k.Role)
	}
	for _, k := range r.GCPKMS {
		out = append(out, "gcp_kms "+k.ResourceID)
	}
	for _, k := range r.AzureKV {
		out = append(out, "azure_kv "+strings.TrimSuffix(k.VaultURL, "/")+"/keys/"+k.Name+"/"+k.Version)
	}
	for _, k := range r.HCVault {
		out = append(out, "hc_vault "+strings.TrimSuffix(k.VaultAddress, "/")+"/v1/"+k.EnginePath+"/keys/"+k.KeyName)
	}
	return out
}
