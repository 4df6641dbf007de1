package objectstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// amazonS3 is the endpoint Stork replaces by the SDK's own resolution.
const amazonS3 = "s3.amazonaws.com"

func checkS3(ctx context.Context, r *Result, get func(string) string, opts Options) {
	if r.Bucket == "" {
		r.fail("the Secret has no path (the bucket)")
		return
	}
	keyID, secret := get("accessKeyID"), get("secretAccessKey")
	if keyID == "" || secret == "" {
		r.fail("the Secret lacks accessKeyID or secretAccessKey")
		return
	}
	region := get("region")
	if region == "" {
		region = "us-east-1"
	}
	disableSSL := false
	if v := get("disableSSL"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			r.fail("disableSSL is not a boolean (Stork fails on it too)")
			return
		}
		disableSSL = b
	}
	client, err := httpClient(opts.CABundle)
	if err != nil {
		r.fail("%v", err)
		return
	}
	o := s3.Options{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		UsePathStyle:     true,
		HTTPClient:       client,
		RetryMaxAttempts: 1,
		// As the v1 SDK Stork links: no checksum the call does not need
		// (many S3-compatible stores reject the v2 SDK's default trailers).
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	switch endpoint := get("endpoint"); {
	case endpoint == "" || endpoint == amazonS3:
		r.Endpoint = "https://s3." + region + ".amazonaws.com (resolved by the SDK for the region)"
		if disableSSL {
			r.Warnings = append(r.Warnings, "disableSSL is ignored for Amazon S3 itself")
		}
	default:
		if !strings.Contains(endpoint, "://") {
			scheme := "https"
			if disableSSL {
				scheme = "http"
			}
			endpoint = scheme + "://" + endpoint
		}
		if strings.HasPrefix(endpoint, "http://") {
			r.Warnings = append(r.Warnings, "plain HTTP (disableSSL): the signed requests and the objects cross the network unencrypted")
		}
		r.Endpoint = diag.RedactURL(endpoint)
		o.BaseEndpoint = aws.String(endpoint)
	}
	api := s3.New(o)
	bucket := aws.String(r.Bucket)

	if !r.call("HeadBucket "+r.Bucket, callErr(api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket})), s3Explain) {
		r.fail("the bucket cannot be reached with these credentials")
		return
	}
	key, err := probeName()
	if err != nil {
		r.fail("no random probe name: %v", err)
		return
	}
	content := probeContent(key)
	put := &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: bytes.NewReader(content), ContentLength: aws.Int64(int64(len(content)))}
	if v := get("sse"); v != "" {
		put.ServerSideEncryption = types.ServerSideEncryption(v)
	}
	if v := get("storageClass"); v != "" {
		put.StorageClass = types.StorageClass(v)
	}
	_, putErr := api.PutObject(ctx, put)
	// From here on the probe may exist (unless the store answered the
	// upload with an error): it is deleted whatever happens.
	var re *smithyhttp.ResponseError
	if putErr != nil && answered(putErr, &re) {
		r.call("PutObject "+key, putErr, s3Explain)
		r.fail("the credentials may not write to the bucket (nothing was written)")
		return
	}
	defer func() {
		// A fresh context: the deletion runs even when ctx expired.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
		defer cancel()
		if !r.call("DeleteObject "+key, callErr(api.DeleteObject(dctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String(key)})), s3Explain) {
			r.Status = Failed
			r.Detail = strings.TrimPrefix(r.Detail+"; ", "; ") + fmt.Sprintf("the probe object %q may be left in bucket %q: delete it", key, r.Bucket)
		}
	}()
	if !r.call("PutObject "+key, putErr, s3Explain) {
		r.fail("the credentials may not write to the bucket")
		return
	}
	obj, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
	if err == nil {
		var got []byte
		got, err = io.ReadAll(io.LimitReader(obj.Body, int64(len(content))+1))
		_ = obj.Body.Close()
		if err == nil && !same(got, content) {
			err = errContentDiffers
		}
	}
	if !r.call("GetObject "+key, err, s3Explain) {
		r.fail("the credentials may not read back what they wrote")
		return
	}
	r.Status = Passed
}

var errContentDiffers = errors.New("the content read back differs from what was written")

// callErr drops an SDK call's output.
func callErr[T any](_ T, err error) error { return err }

// errorCode is what an error code of the service may look like; anything
// else is not shown.
var errorCode = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._]{0,63}$`)

// answered reports whether the store answered the call with an HTTP status
// (the SDK also wraps errors of calls that got no answer).
func answered(err error, re **smithyhttp.ResponseError) bool {
	return errors.As(err, re) && (*re).Response != nil && (*re).Response.StatusCode != 0
}

// s3Explain says why a call failed with the HTTP status and the service's
// error code only: never the message (the response body's text), the
// request URL or the request ID.
func s3Explain(err error) string {
	if errors.Is(err, errContentDiffers) {
		return err.Error()
	}
	var re *smithyhttp.ResponseError
	if !answered(err, &re) {
		return transportText(err)
	}
	status := re.Response.StatusCode
	msg := fmt.Sprintf("%d %s", status, http.StatusText(status))
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) && errorCode.MatchString(ae.ErrorCode()) && ae.ErrorCode() != strings.ReplaceAll(http.StatusText(status), " ", "") {
		code = ae.ErrorCode()
		msg += " " + code
	}
	switch {
	case code == "SignatureDoesNotMatch":
		msg += " (the secret access key is wrong)"
	case code == "InvalidAccessKeyId":
		msg += " (the store knows no such access key ID)"
	case code == "NoSuchBucket" || status == http.StatusNotFound:
		msg += " (the bucket does not exist: create it, Portworx does not)"
	case status == http.StatusForbidden:
		msg += " (the credentials are wrong, or the bucket's policy refuses them)"
	case status == http.StatusMovedPermanently || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed":
		msg += " (the bucket is in another region than the Secret's region)"
	}
	return msg
}
