package transform

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

const azureClientSecret = "sp-secret~never-printed.Value_42"

func azureRequest(sp bool) *v1alpha1.ClusterPairRequest {
	return newRequest(func(r *v1alpha1.ClusterPairRequest) {
		r.Spec.Mode = v1alpha1.ModeAsyncDR
		a := &v1alpha1.AzureObjectStore{AccountName: "pxdrwest", AccountKey: v1alpha1.SecretRef{File: "os.yaml", Key: "azure.accountKey"}, ResourceGroup: "dr-rg"}
		if sp {
			a.ServicePrincipal = &v1alpha1.AzureServicePrincipal{
				TenantID:       "72f988bf-86f1-41af-91ab-2d7cd011db47",
				SubscriptionID: "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
				ClientID:       "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
				ClientSecret:   v1alpha1.SecretRef{File: "azure-sp.yaml", Key: "clientSecret"},
			}
		}
		r.Spec.ObjectStore = &v1alpha1.ObjectStore{Provider: v1alpha1.ProviderAzure, Bucket: "px-dr-west", Azure: a}
	})
}

func TestRenderAzureServicePrincipal(t *testing.T) {
	req := azureRequest(true)
	requireValidRequest(t, req)
	out, fs := Render(req, Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte(pxToken), ObjectStore: ObjectStoreSecrets{
		AzureAccountKey: []byte("account-key==\n"), AzureClientSecret: []byte(azureClientSecret + "\n"),
	}})
	requireNoFindings(t, fs)
	want := map[string]string{
		"storageAccountName": "pxdrwest", "storageAccountKey": "account-key==", "resourceGroupName": "dr-rg",
		"tenantID": "72f988bf-86f1-41af-91ab-2d7cd011db47", "subscriptionID": "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
		"clientID": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "clientSecret": azureClientSecret,
	}
	for k, v := range want {
		if got := string(out.Secret.Data[k]); got != v {
			t.Errorf("Secret data %s = %q, want %q", k, got, v)
		}
	}
	b, err := json.Marshal(out.BackupLocation)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cluster":{"type":"azure","secretConfig":"to-dr","azureClusterConfig":{}}`) ||
		!strings.Contains(string(b), `"location":{"type":"azure","secretConfig":"to-dr"}`) {
		t.Errorf("BackupLocation = %s", b)
	}
}

func TestRenderAzureWithoutServicePrincipal(t *testing.T) {
	out, fs := Render(azureRequest(false), Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte(pxToken), ObjectStore: ObjectStoreSecrets{AzureAccountKey: []byte("account-key==")}})
	requireNoFindings(t, fs)
	for _, k := range []string{"tenantID", "subscriptionID", "clientID", "clientSecret"} {
		if _, ok := out.Secret.Data[k]; ok {
			t.Errorf("Secret has %s without a service principal", k)
		}
	}
	if out.BackupLocation.Cluster != nil {
		t.Errorf("BackupLocation has a cluster item without a service principal")
	}
	b, _ := json.Marshal(out.BackupLocation)
	if strings.Contains(string(b), `"cluster"`) {
		t.Errorf("BackupLocation = %s", b)
	}
}

func TestRenderAzureClientSecretErrors(t *testing.T) {
	for name, secret := range map[string]string{
		"empty":         "",
		"two lines":     azureClientSecret + "\nsecond-line",
		"inner space":   "sp secret " + azureClientSecret,
		"control chars": azureClientSecret + "\x00",
	} {
		t.Run(name, func(t *testing.T) {
			out, fs := Render(azureRequest(true), Secrets{Kubeconfig: baseKubeconfig(t, nil), Token: []byte(pxToken), ObjectStore: ObjectStoreSecrets{
				AzureAccountKey: []byte("account-key=="), AzureClientSecret: []byte(secret),
			}})
			if out != nil {
				t.Fatal("rendered despite a bad client secret")
			}
			requireFinding(t, fs, diag.Error, "spec.objectStore.azure.servicePrincipal.clientSecret", "azure-sp.yaml", "the decrypted value")
			requireNotInFindings(t, fs, azureClientSecret, "second-line")
		})
	}
}
