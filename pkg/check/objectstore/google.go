package objectstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"cloud.google.com/go/storage"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// googleAPI is Cloud Storage's JSON API endpoint.
const googleAPI = "https://storage.googleapis.com/storage/v1/"

func checkGoogle(ctx context.Context, r *Result, get func(string) string, opts Options) {
	if r.Bucket == "" {
		r.fail("the Secret has no path (the bucket)")
		return
	}
	key := get("accountKey")
	if key == "" {
		r.fail("the Secret has no accountKey")
		return
	}
	// What Stork's pkg/objectstore/google getConfig does.
	conf, err := google.JWTConfigFromJSON([]byte(key), storage.ScopeFullControl)
	if err != nil {
		r.fail("the accountKey is not a service-account JSON key Google's library accepts")
		return
	}
	base, err := httpClient(opts.CABundle)
	if err != nil {
		r.fail("%v", err)
		return
	}
	// The token exchange (POST to the key's token_uri) uses the same client.
	tokens := conf.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, base))
	authed := &http.Client{Transport: &oauth2.Transport{Source: tokens, Base: base.Transport}, CheckRedirect: base.CheckRedirect}
	endpoint := googleAPI
	if opts.GoogleEndpoint != "" {
		endpoint = opts.GoogleEndpoint
	}
	r.Endpoint = diag.RedactURL(endpoint)
	client, err := storage.NewClient(ctx, option.WithHTTPClient(authed), option.WithEndpoint(endpoint), storage.WithJSONReads())
	if err != nil {
		r.fail("no Cloud Storage client: %s", diag.RedactURLsIn(err.Error()))
		return
	}
	defer client.Close()
	bucket := client.Bucket(r.Bucket).Retryer(storage.WithPolicy(storage.RetryNever))

	_, err = bucket.Attrs(ctx)
	if !r.call("GetBucket "+r.Bucket, err, googleExplain) {
		r.fail("the bucket cannot be reached with this service account")
		return
	}
	name, err := probeName()
	if err != nil {
		r.fail("no random probe name: %v", err)
		return
	}
	content := probeContent(name)
	obj := bucket.Object(name)
	w := obj.NewWriter(ctx)
	w.ChunkSize = 0 // one request, no resumable session
	w.ContentType = "text/plain"
	_, err = w.Write(content)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	var answered *googleapi.Error
	if err != nil && errors.As(err, &answered) {
		r.call("InsertObject "+name, err, googleExplain)
		r.fail("the service account may not write to the bucket (nothing was written)")
		return
	}
	// From here on the probe may exist: it is deleted whatever happens.
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
		defer cancel()
		if !r.call("DeleteObject "+name, obj.Delete(dctx), googleExplain) {
			r.Status = Failed
			prefix := ""
			if r.Detail != "" {
				prefix = r.Detail + "; "
			}
			r.Detail = prefix + fmt.Sprintf("the probe object %q may be left in bucket %q: delete it", name, r.Bucket)
		}
	}()
	if !r.call("InsertObject "+name, err, googleExplain) {
		r.fail("the service account may not write to the bucket")
		return
	}
	rd, err := obj.NewReader(ctx)
	if err == nil {
		var got []byte
		got, err = io.ReadAll(io.LimitReader(rd, int64(len(content))+1))
		_ = rd.Close()
		if err == nil && !same(got, content) {
			err = errContentDiffers
		}
	}
	if !r.call("GetObject "+name, err, googleExplain) {
		r.fail("the service account may not read back what it wrote")
		return
	}
	r.Status = Passed
}

// googleExplain says why a call failed with the HTTP status and the
// error's reason only: never its message, the token endpoint's answer or a
// URL's path or query.
func googleExplain(err error) string {
	var re *oauth2.RetrieveError
	var ge *googleapi.Error
	switch {
	case errors.Is(err, errContentDiffers):
		return err.Error()
	case errors.Is(err, storage.ErrBucketNotExist):
		return "404 Not Found (the bucket does not exist: create it, Portworx does not)"
	case errors.Is(err, storage.ErrObjectNotExist):
		return "404 Not Found (the object just written cannot be found)"
	case errors.As(err, &re):
		msg := "the token endpoint refused the service-account key"
		if re.Response != nil {
			msg += fmt.Sprintf(": %d %s", re.Response.StatusCode, http.StatusText(re.Response.StatusCode))
		}
		if code := oauthErrorCode(re); code != "" {
			msg += " " + code
		}
		return msg + " (the key was revoked, or is not the service account's)"
	case errors.As(err, &ge):
		msg := fmt.Sprintf("%d %s", ge.Code, http.StatusText(ge.Code))
		if len(ge.Errors) > 0 && errorCode.MatchString(ge.Errors[0].Reason) {
			msg += " " + ge.Errors[0].Reason
		}
		switch ge.Code {
		case http.StatusUnauthorized:
			msg += " (the service account's token was not accepted)"
		case http.StatusForbidden:
			msg += " (the service account has no such permission on the bucket)"
		case http.StatusNotFound:
			msg += " (the bucket does not exist: create it, Portworx does not)"
		}
		return msg
	}
	return transportText(err)
}

// oauthErrorCode is the RFC 6749 error code of a token endpoint's answer
// ("invalid_grant"): the "error" member only, never its description.
func oauthErrorCode(re *oauth2.RetrieveError) string {
	code := re.ErrorCode
	if code == "" {
		var answer struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(re.Body, &answer) == nil {
			code = answer.Error
		}
	}
	if errorCode.MatchString(code) {
		return code
	}
	return ""
}
