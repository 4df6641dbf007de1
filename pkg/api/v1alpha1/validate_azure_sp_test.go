package v1alpha1

import "testing"

func TestValidateAzureServicePrincipal(t *testing.T) {
	const sp = "spec.objectStore.azure.servicePrincipal"
	withSP := func(mut func(*AzureServicePrincipal)) func(o *ObjectStore) {
		return func(o *ObjectStore) {
			o.Azure.ResourceGroup = "dr-rg"
			p := &AzureServicePrincipal{
				TenantID:       "72f988bf-86f1-41af-91ab-2d7cd011db47",
				SubscriptionID: "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
				ClientID:       "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
				ClientSecret:   SecretRef{File: "azure-sp.yaml", Key: "clientSecret"},
			}
			if mut != nil {
				mut(p)
			}
			o.Azure.ServicePrincipal = p
		}
	}
	runStoreCases(t, []storeCase{
		{"service principal", azureStore, withSP(nil), nil},
		{"uppercase GUIDs", azureStore, withSP(func(p *AzureServicePrincipal) { p.ClientID = "04B07795-8DDB-461A-BBEE-02F9E1BF7B46" }), nil},
		{"IDs missing", azureStore, withSP(func(p *AzureServicePrincipal) { p.TenantID, p.SubscriptionID, p.ClientID = "", "", "" }), []expect{
			errorOn(sp+".tenantID", "is required"),
			errorOn(sp+".subscriptionID", "is required"),
			errorOn(sp+".clientID", "is required"),
		}},
		{"tenant is a domain name", azureStore, withSP(func(p *AzureServicePrincipal) { p.TenantID = "contoso.onmicrosoft.com" }),
			[]expect{errorOn(sp+".tenantID", `"contoso.onmicrosoft.com" is not a GUID`)}},
		{"client ID without hyphens", azureStore, withSP(func(p *AzureServicePrincipal) { p.ClientID = "04b077958ddb461abbee02f9e1bf7b46" }),
			[]expect{errorOn(sp+".clientID", "is not a GUID")}},
		{"subscription ID with braces", azureStore, withSP(func(p *AzureServicePrincipal) { p.SubscriptionID = "{0b1f6471-1bf0-4dda-aec3-cb9272f09590}" }),
			[]expect{errorOn(sp+".subscriptionID", "is not a GUID")}},
		{"clientSecret file missing", azureStore, withSP(func(p *AzureServicePrincipal) { p.ClientSecret = SecretRef{} }),
			[]expect{errorOn(sp+".clientSecret.file", "is required")}},
		{"clientSecret allowUnencrypted", azureStore, withSP(func(p *AzureServicePrincipal) { p.ClientSecret.AllowUnencrypted = true }),
			[]expect{warnOn(sp+".clientSecret.allowUnencrypted", "is true")}},
		{"resource group missing", azureStore, func(o *ObjectStore) { withSP(nil)(o); o.Azure.ResourceGroup = "" },
			[]expect{errorOn(sp, "needs spec.objectStore.azure.resourceGroup")}},
	})
}
