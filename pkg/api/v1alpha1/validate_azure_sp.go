package v1alpha1

import (
	"regexp"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// guidPattern is the form of Azure tenant, subscription and client IDs.
var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validateAzureServicePrincipal checks spec.objectStore.azure.servicePrincipal.
// Stork uses the principal with the resource group to read a container's
// immutability policy, so the resource group is required with it.
func validateAzureServicePrincipal(fs *diag.Findings, field string, a *AzureObjectStore) {
	sp := a.ServicePrincipal
	if sp == nil {
		return
	}
	field += ".servicePrincipal"
	for _, id := range []struct{ name, value string }{
		{"tenantID", sp.TenantID}, {"subscriptionID", sp.SubscriptionID}, {"clientID", sp.ClientID},
	} {
		switch {
		case id.value == "":
			fs.Errorf(field+"."+id.name, "is required")
		case !guidPattern.MatchString(id.value):
			fs.Errorf(field+"."+id.name, "%q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", id.value)
		}
	}
	validateSecretRef(fs, field+".clientSecret", sp.ClientSecret)
	if a.ResourceGroup == "" {
		fs.Errorf(field, "needs spec.objectStore.azure.resourceGroup: Stork reads the container's immutability policy through the storage account's resource group")
	}
}
