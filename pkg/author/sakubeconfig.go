package author

import (
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"

	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// apiTimeout bounds each request to the destination's API server.
const apiTimeout = 30 * time.Second

// useServiceAccount provisions the ServiceAccount with the operator's
// kubeconfig (kc, in memory) and returns the kubeconfig to write instead:
// the same cluster (server, CA, TLS server name) and the ServiceAccount's
// token, nothing else. No personal credential, exec plugin, auth-provider,
// proxy or client certificate of the operator's kubeconfig reaches it.
func useServiceAccount(kc *kubeconfig, o ServiceAccountOptions, force bool) (*kubeconfig, *ServiceAccountResult, error) {
	cfg, err := clientcmd.Load(kc.data)
	if err != nil {
		return nil, nil, fmt.Errorf("--kubeconfig: %s", diag.ScrubParserError(err))
	}
	cluster := cfg.Clusters[kc.cluster]
	if cluster == nil {
		return nil, nil, fmt.Errorf("--kubeconfig: context %q has no cluster", kc.context)
	}
	client := o.Client
	if client == nil {
		rc, err := clientcmd.RESTConfigFromKubeConfig(kc.data)
		if err != nil {
			return nil, nil, fmt.Errorf("--kubeconfig: context %q: %s", kc.context, diag.ScrubParserError(err))
		}
		rc.Timeout = apiTimeout
		if client, err = kubernetes.NewForConfig(rc); err != nil {
			return nil, nil, fmt.Errorf("--kubeconfig: context %q: %s", kc.context, diag.ScrubParserError(err))
		}
	}
	tok, res, err := provisionServiceAccount(context.Background(), client, o, force)
	if err != nil {
		return nil, nil, fmt.Errorf("--service-account %s on %s: %w", o.Name, kc.server, err)
	}
	caData := cluster.CertificateAuthorityData
	if len(caData) == 0 {
		// The operator's kubeconfig trusts the system roots or skips
		// verification: write the CA the cluster gives its service accounts.
		caData = tok.caData
	}
	if len(caData) == 0 {
		return nil, nil, fmt.Errorf("--service-account %s: neither the kubeconfig's cluster %q nor the cluster (ConfigMap %s/kube-root-ca.crt) has a CA certificate to write", o.Name, kc.cluster, o.Namespace)
	}
	user := o.Name
	out := clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{kc.cluster: {
			Server:                   cluster.Server,
			TLSServerName:            cluster.TLSServerName,
			CertificateAuthorityData: caData,
		}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: {Token: tok.token}},
		Contexts:       map[string]*clientcmdapi.Context{kc.context: {Cluster: kc.cluster, AuthInfo: user}},
		CurrentContext: kc.context,
	}
	data, err := clientcmd.Write(out)
	if err != nil {
		return nil, nil, fmt.Errorf("writing the ServiceAccount's kubeconfig: %s", diag.ScrubParserError(err))
	}
	auth := "ServiceAccount " + o.Namespace + "/" + o.Name + " token"
	return &kubeconfig{data: data, context: kc.context, cluster: kc.cluster, user: user, server: kc.server, auth: auth}, res, nil
}

// swapInServiceAccount is New's hook for --service-account: the request
// must render with the operator's kubeconfig before anything is created on
// the destination (renders renders it); then the ServiceAccount's
// kubeconfig replaces it.
func (o Options) swapInServiceAccount(kc *kubeconfig, renders func() error) (*kubeconfig, *ServiceAccountResult, error) {
	sa, err := o.ServiceAccount.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	if sa.DryRun {
		return nil, nil, fmt.Errorf("--dry-run with --service-account: print the objects with ServiceAccountPlan; New creates them")
	}
	if err := renders(); err != nil {
		return nil, nil, err
	}
	return useServiceAccount(kc, sa, o.Force)
}
