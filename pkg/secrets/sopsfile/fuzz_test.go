package sopsfile_test

import (
	"bytes"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/getsops/sops/v3/decrypt"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

var fuzzFormats = []sopsfile.Format{sopsfile.YAML, sopsfile.JSON, sopsfile.Dotenv, sopsfile.INI, sopsfile.Binary}

// FuzzDecrypt feeds damaged SOPS files to Decrypt. It must not panic; its
// errors must be *Error values that reveal no decrypted value (a fixture's
// secret that the input does not itself contain); and it must agree with
// the sops library: same plaintext where both succeed, and success exactly
// where the library succeeds (checked whenever the input cannot make the
// library call a cloud key service).
//
//	go test -run '^$' -fuzz FuzzDecrypt ./pkg/secrets/sopsfile/
func FuzzDecrypt(f *testing.F) {
	testenv.UseDemoKey(f)
	secretSet := map[string]bool{}
	for _, file := range fixtureFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		format := formatForPath(file)
		for i, ff := range fuzzFormats {
			if ff == format {
				f.Add(data, uint8(i))
			}
		}
		if doc, err := sopsfile.NewDecryptor().Decrypt(data, format); err == nil {
			for _, s := range collectSecrets(doc, 8) {
				secretSet[s] = true
			}
		}
	}
	f.Add([]byte("a: b\nsops:\n    lastmodified: x\n"), uint8(0))
	f.Add([]byte(`{"data": "ENC[AES256_GCM,data:,iv:,tag:,type:str]", "sops": {}}`), uint8(4))
	f.Add([]byte("sops_version=3\nsops_age__list_0__map_recipient=x\n"), uint8(2))
	f.Add([]byte("[sops]\nversion = 3\n"), uint8(3))
	var secrets []string
	for s := range secretSet {
		secrets = append(secrets, s)
	}
	sort.Strings(secrets)
	if len(secrets) < 10 {
		f.Fatalf("only %d secrets collected", len(secrets))
	}
	dec := sopsfile.NewDecryptor()

	f.Fuzz(func(t *testing.T, data []byte, fi uint8) {
		format := fuzzFormats[int(fi)%len(fuzzFormats)]
		doc, leanErr := dec.Decrypt(data, format)
		var lean []byte
		if leanErr == nil {
			var err error
			if lean, err = doc.Plaintext(); err != nil {
				// sops would fail to print it too; compare below.
				leanErr = err
			}
		} else {
			var e *sopsfile.Error
			if !errors.As(leanErr, &e) {
				t.Fatalf("error %T is not a *sopsfile.Error: %v", leanErr, leanErr)
			}
			msg := leanErr.Error()
			for _, s := range secrets {
				if strings.Contains(msg, s) && !bytes.Contains(data, []byte(s)) {
					t.Fatalf("error %q reveals a decrypted value", msg)
				}
			}
			if errors.Is(leanErr, sopsfile.ErrNeedsFullSOPS) {
				return
			}
		}
		if mayCallCloud(data) {
			return
		}
		full, fullErr := sopsLibrary(data, format)
		switch {
		case leanErr == nil && fullErr == nil:
			if !bytes.Equal(full, lean) {
				t.Fatalf("plaintexts differ\n--- sops:\n%q\n--- sopsfile:\n%q", full, lean)
			}
		case leanErr == nil:
			t.Fatalf("sopsfile accepts what sops refuses (%v)", fullErr)
		case fullErr == nil:
			t.Fatalf("sopsfile refuses (%v) what sops accepts", leanErr)
		}
	})
}

// mayCallCloud reports whether the input could make the sops library
// contact a key service (metadata keys match case-insensitively).
func mayCallCloud(data []byte) bool {
	lower := bytes.ToLower(data)
	for _, s := range []string{"kms", "azure_kv", "hc_vault", "vault"} {
		if bytes.Contains(lower, []byte(s)) {
			return true
		}
	}
	return false
}

func sopsLibrary(data []byte, format sopsfile.Format) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, errors.New("the sops library panicked")
		}
	}()
	return decrypt.Data(data, string(format))
}
