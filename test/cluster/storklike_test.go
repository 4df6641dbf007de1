//go:build cluster

package cluster

import (
	"encoding/json"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	sjson "sigs.k8s.io/json"
)

// storkClusterPair mirrors Stork's stork.libopenstorage.org/v1alpha1
// ClusterPair Go type (pkg/apis/stork/v1alpha1/clusterpair.go): spec.config
// is client-go's *internal* clientcmd api.Config, options a map of strings.
type storkClusterPair struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              storkClusterPairSpec   `json:"spec"`
	Status            storkClusterPairStatus `json:"status,omitempty"`
}

type storkClusterPairSpec struct {
	Config          clientcmdapi.Config `json:"config"`
	Options         map[string]string   `json:"options"`
	PlatformOptions storkPlatformSpec   `json:"platformOptions"`
}

type storkPlatformSpec struct {
	Rancher *storkRancherSpec `json:"rancher,omitempty"`
}

type storkRancherSpec struct {
	ProjectMappings map[string]string `json:"projectMappings,omitempty"`
}

type storkClusterPairStatus struct {
	SchedulerStatus string `json:"schedulerStatus"`
	StorageStatus   string `json:"storageStatus"`
	RemoteStorageID string `json:"remoteStorageId"`
}

// Stork's ClusterPairStatusType values the scheduler side sets.
const (
	statusInitial = ""
	statusReady   = "Ready"
	statusError   = "Error"
)

// decodeStorkClusterPair decodes a stored object's JSON exactly as Stork's
// clientset does (apimachinery's case-sensitive JSON decoding, which keeps
// integers and silently drops unknown fields). strictErrs lists what that
// decoding drops or would reject under strict rules (unknown or duplicate
// fields): a field Stork silently ignores is a rendering bug.
func decodeStorkClusterPair(data []byte) (cp storkClusterPair, strictErrs []error, err error) {
	if err := sjson.UnmarshalCaseSensitivePreserveInts(data, &cp); err != nil {
		return cp, nil, err
	}
	var strict storkClusterPair
	strictErrs, err = sjson.UnmarshalStrict(data, &strict)
	return cp, strictErrs, err
}

// schedulerPairing is the outcome of Stork's scheduler-side pairing.
type schedulerPairing struct {
	// Status is what Stork writes to status.schedulerStatus; "" means it
	// returned before writing any status.
	Status string
	// Event is the message of the event Stork records with that status.
	Event string
	// LogOnly is the error Stork only logs (the rest config could not be
	// built): the status stays "" and no event is recorded.
	LogOnly error
	// Config is the rest config Stork built, when it could.
	Config *rest.Config
}

// storkSchedulerPair runs the scheduler side of Stork's ClusterPair
// controller (pkg/migration/controllers/clusterpair.go) on a decoded pair:
// getClusterPairSchedulerConfig (NewNonInteractiveClientConfig with the
// pair's current-context, empty overrides and the default loading rules,
// then ClientConfig, which runs ConfirmUsable), kubernetes.NewForConfig and
// ServerVersion, i.e. GET /version on the destination.
func storkSchedulerPair(cp *storkClusterPair) schedulerPairing {
	remoteClientConfig := clientcmd.NewNonInteractiveClientConfig(
		cp.Spec.Config,
		cp.Spec.Config.CurrentContext,
		&clientcmd.ConfigOverrides{},
		clientcmd.NewDefaultClientConfigLoadingRules())
	remoteConfig, err := remoteClientConfig.ClientConfig()
	if err != nil {
		return schedulerPairing{Status: statusInitial, LogOnly: err}
	}
	client, err := kubernetes.NewForConfig(remoteConfig)
	if err != nil {
		return schedulerPairing{Status: statusInitial, LogOnly: err}
	}
	if _, err := client.ServerVersion(); err != nil {
		return schedulerPairing{Status: statusError, Event: err.Error(), Config: remoteConfig}
	}
	return schedulerPairing{Status: statusReady, Event: "Scheduler successfully paired", Config: remoteConfig}
}

// storageOptionsProblems checks spec.options the way Stork's Portworx driver
// reads them before it calls the remote Portworx (which this suite does not
// run): the port must parse with ParseUint(p, 10, 32), the mode must be a
// known value (unknown ones silently become Default).
func storageOptionsProblems(opts map[string]string) []string {
	var out []string
	if p, ok := opts["port"]; ok {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			out = append(out, fmt.Sprintf("invalid port (%s) specified for cluster pair: %v", p, err))
		}
	}
	if m, ok := opts["mode"]; ok && m != "Default" && m != "DisasterRecovery" && m != "OneTimeMigration" {
		out = append(out, fmt.Sprintf("unknown mode %q would silently become Default", m))
	}
	if _, ok := opts["token"]; !ok {
		out = append(out, "no token: Stork would skip storage pairing (NotProvided)")
	}
	return out
}

// mustJSON marshals v or panics (test data only).
func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}
