package main

// The command line of `new`, shared by both builds: the lean build shows
// the same help and checks the same flags before it hands the command to
// the full build, which alone carries the code (pkg/author).

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// newFlags are the flags of `new`; the full build maps them onto
// author.Options.
type newFlags struct {
	Namespace, Kubeconfig, Context, Server, PXEndpoint string
	TokenFile, TokenEnv, Mode, ProjectMappings         string
	Age, PGP                                           []string
	SOPSConfig, Dir                                    string
	Force                                              bool
	Layout                                             string
	OutputAge                                          []string
	DryRun                                             bool
	// AllowKeyEndpoints are --allow-key-endpoint's entries.
	AllowKeyEndpoints []string
	// ServiceAccount, ServiceAccountNamespace, ClusterRole and
	// TokenDuration are the flags of --service-account.
	ServiceAccount, ServiceAccountNamespace, ClusterRole string
	TokenDuration                                        time.Duration
	// Reverse* are the --reverse-* flags: the reverse pair, applied to the
	// destination cluster, that points back at the source.
	ReverseKubeconfig, ReverseContext, ReverseServer, ReversePXEndpoint string
	ReverseTokenFile, ReverseTokenEnv                                   string
	// ObjectStore, Bucket and the provider flags describe spec.objectStore.
	ObjectStore, Bucket                                       string
	ObjectStoreEncryptionKeyFile, ObjectStoreEncryptionKeyEnv string
	S3Endpoint, S3Region, S3StorageClass, S3SSE               string
	S3DisableSSL                                              bool
	S3AccessKeyIDFile, S3AccessKeyIDEnv                       string
	S3SecretAccessKeyFile, S3SecretAccessKeyEnv               string
	AzureAccountName, AzureEnvironment, AzureResourceGroup    string
	AzureAccountKeyFile, AzureAccountKeyEnv                   string
	GoogleProjectID                                           string
	GoogleAccountKeyFile, GoogleAccountKeyEnv                 string
}

// Defaults of --service-account's flags (author.DefaultServiceAccountNamespace
// and author.DefaultClusterRole; a test of the full build keeps them equal).
const (
	defaultServiceAccountNamespace = "kube-system"
	defaultClusterRole             = "cluster-admin"
)

// serviceAccountHelp is appended to new's long help.
const serviceAccountHelp = `

--service-account NAME (recommended for production pairs): instead of the
credential of --kubeconfig, write a dedicated ServiceAccount's token, the way
` + "`argocd cluster add`" + ` registers a cluster. With the operator's kubeconfig, new
creates (or reuses) ServiceAccount NAME in --service-account-namespace
(default kube-system), ClusterRoleBinding clusterpair-fn:NAMESPACE:NAME to
--cluster-role (default cluster-admin: Stork applies whatever a Migration
selects on the destination, CRDs and RBAC included; see
docs/service-account.md), and a token: a kubernetes.io/service-account-token
Secret NAME-token (does not expire), or with --token-duration D a
TokenRequest token of that lifetime bound to Secret NAME-token-binding. The
kubeconfig written holds that token and the server's CA only. Re-running
reuses everything; --force rotates: the Secret is deleted (every token issued
from it stops authenticating) and created anew. With --service-account,
--dry-run prints the objects and neither contacts the cluster nor writes
anything.`

// reverseHelp and objectStoreHelp are appended to new's long help.
const reverseHelp = `

Bidirectional pairs (storkctl create clusterpair's two directions, in one
request): --reverse-kubeconfig FILE (with --reverse-context and
--reverse-server) reaches the source cluster from the destination, and
--reverse-px-endpoint with --reverse-token-file or --reverse-token-env are
the source cluster's Portworx endpoint and pairing token. They are read,
reduced to one context, inlined, checked and encrypted exactly like the
forward flags, into source-kubeconfig.yaml and source-token.enc
(spec.reverse). Both sides are rendered in memory before anything is
written; each cluster's render then chooses its side with
CLUSTERPAIR_SIDE=source|destination. --layout flux commits each side under
rendered/SIDE/; --layout kpt takes no reverse pair. --service-account
applies to the destination's kubeconfig only.`

const objectStoreHelp = `

Object store (spec.objectStore, a Secret and BackupLocation on both
clusters): --object-store s3|azure|google and --bucket (an Azure blob
container), with the provider's settings:

  s3      --s3-region, --s3-endpoint HOST[:PORT], --s3-disable-ssl,
          --s3-storage-class, --s3-sse; --s3-access-key-id-file|-env and
          --s3-secret-access-key-file|-env
  azure   --azure-account-name, --azure-environment, --azure-resource-group;
          --azure-account-key-file|-env
  google  --google-project-id; --google-account-key-file|-env (the
          service-account JSON key)

and optionally --object-store-encryption-key-file|-env. Every credential is
given like the token: --X-file FILE (read in place, "-" reads stdin) or
--X-env VAR (the variable's name, never its value). All of them are written
into one SOPS-encrypted file, objectstore.yaml (keys s3.accessKeyID,
s3.secretAccessKey, azure.accountKey, google.accountKey, encryptionKey),
that the request references with file and key. No credential is printed.`

// newNewShell returns the `new` command with its help, arguments and flags
// bound to o, and no RunE.
func newNewShell(o *newFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "new NAME -n NAMESPACE [--kubeconfig FILE] --px-endpoint HOST[:PORT] (--token-file FILE | --token-env VAR)",
		Short: "Create a pair directory, ready to commit, from a live kubeconfig and a Portworx token",
		Long: `new writes a pair directory (default: ./NAME) that renders the ClusterPair
NAME in NAMESPACE:

  clusterpair.yaml             the ClusterPairRequest, an exec-function generator
  destination-kubeconfig.yaml  the kubeconfig, SOPS-encrypted
  px-token.enc                 the Portworx pairing token, SOPS-encrypted (binary)
  kustomization.yaml           generators: [clusterpair.yaml]

The kubeconfig is reduced to one context (--context, default its
current-context) before it is encrypted: no other context, cluster or user is
ever written. Certificate and key files and a tokenFile are inlined,
LocationOfOrigin and extensions are dropped. Exec plugins and auth-providers
are kept, with the same warnings the renderer gives.

Nothing is written until the pair renders in memory exactly as the function
will render it; then only ciphertext and the request reach the disk (through
a temporary file in the directory, renamed into place). No plaintext secret
is written or printed. Existing files are never replaced without --force.

Recipients: --age and --pgp, or else the creation rules of the first
.sops.yaml found in the pair directory or above it (or --sops-config, or
$SOPS_CONFIG), matched against each file's path exactly as the sops CLI
matches them (path_regex, key groups, encrypted_regex...). A rule that would
leave the kubeconfig's credentials readable is refused, and so is one naming a
network key source (Vault, Key Vault, KMS) not allowed by
$CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS or --allow-key-endpoint.

--px-endpoint takes HOST:PORT, [IPV6]:PORT or http(s)://HOST[:PORT]. Without a
port: 9001 (the Portworx API port) for a bare host or address, 80 or 443 for
a URL. The token comes from --token-file (read in place; "-" reads stdin) or
from the environment variable --token-env names.

Then: clusterpair-fn check --live DIR, and commit the directory.` + serviceAccountHelp + reverseHelp + objectStoreHelp,
		Example: `  clusterpair-fn new dr-west -n app --kubeconfig ~/.kube/config --context west \
      --px-endpoint px-api.west.example.com:9001 \
      --token-file <(kubectl --context west -n portworx exec ds/portworx -c portworx -- \
          /opt/pwx/bin/pxctl cluster token show | awk '/Token is/ {print $3}') \
      --age age1... --dir pairs/dr-west`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("new takes exactly one argument, the pair's NAME (got %d)", len(args))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of the ClusterPair (required)")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig that reaches the destination cluster (default: $KUBECONFIG, which must then name one file, as kubectl reads it)")
	f.StringVar(&o.Context, "context", "", "context of the kubeconfig to use (default: its current-context)")
	f.StringVar(&o.Server, "server", "", "destination API server URL reachable from the source cluster, written as spec.destination.kubeconfig.server")
	f.StringVar(&o.PXEndpoint, "px-endpoint", "", "destination's Portworx API endpoint: HOST[:PORT] or http(s)://HOST[:PORT] (required unless --mode sync-dr)")
	f.StringVar(&o.TokenFile, "token-file", "", `file holding the destination's pairing token ("-": stdin)`)
	f.StringVar(&o.TokenEnv, "token-env", "", "environment variable holding the destination's pairing token")
	f.StringVar(&o.Mode, "mode", "async-dr", "async-dr, migration or sync-dr")
	f.StringVar(&o.ProjectMappings, "project-mappings", "", `Rancher project mappings, as storkctl takes them ("p-a=p-b,c-1:p-a=c-2:p-b")`)
	f.StringSliceVar(&o.Age, "age", nil, "age recipient to encrypt to (repeatable or comma-separated; replaces the .sops.yaml rule's keys)")
	f.StringSliceVar(&o.PGP, "pgp", nil, "PGP fingerprint to encrypt to (repeatable or comma-separated)")
	f.StringVar(&o.SOPSConfig, "sops-config", "", "sops configuration to use instead of the .sops.yaml found from --dir upwards (default $SOPS_CONFIG)")
	f.StringVar(&o.Dir, "dir", "", "pair directory to write (default: ./NAME)")
	f.BoolVar(&o.Force, "force", false, "replace existing files (with --service-account: rotate its token)")
	f.StringVar(&o.Layout, "layout", "kustomize", "pair directory layout: kustomize (exec generator), kpt (Kptfile pipeline, secrets/ in .krmignore, encrypted output) or flux (encrypted output.file and a CI render script)")
	f.StringSliceVar(&o.OutputAge, "output-age", nil, "age recipients of the rendered output for --layout kpt|flux (the cluster's and the renderer's keys; default: --age)")
	f.BoolVar(&o.DryRun, "dry-run", false, "check and render everything in memory and list what would be written; write nothing (with --service-account: print the objects it would create, contact nothing)")
	f.StringVar(&o.ServiceAccount, "service-account", "", "create (or reuse) this ServiceAccount on the destination and write its token instead of the kubeconfig's credential")
	f.StringVar(&o.ServiceAccountNamespace, "service-account-namespace", defaultServiceAccountNamespace, "namespace of --service-account")
	f.StringVar(&o.ClusterRole, "cluster-role", defaultClusterRole, "ClusterRole to bind --service-account to")
	f.DurationVar(&o.TokenDuration, "token-duration", 0, "issue a TokenRequest token of this lifetime (e.g. 8760h) instead of a non-expiring Secret token")
	addKeyPolicyFlag(f, &o.AllowKeyEndpoints)
	addReverseFlags(cmd, o)
	addObjectStoreFlags(cmd, o)
	_ = cmd.MarkFlagRequired("namespace")
	return cmd
}

// addReverseFlags adds the --reverse-* flags, the forward flags' twins.
func addReverseFlags(cmd *cobra.Command, o *newFlags) {
	f := cmd.Flags()
	f.StringVar(&o.ReverseKubeconfig, "reverse-kubeconfig", "", "kubeconfig that reaches the source cluster, for the reverse pair applied to the destination (spec.reverse; no default)")
	f.StringVar(&o.ReverseContext, "reverse-context", "", "context of --reverse-kubeconfig to use (default: its current-context)")
	f.StringVar(&o.ReverseServer, "reverse-server", "", "source API server URL reachable from the destination cluster, written as spec.reverse.kubeconfig.server")
	f.StringVar(&o.ReversePXEndpoint, "reverse-px-endpoint", "", "source cluster's Portworx API endpoint: HOST[:PORT] or http(s)://HOST[:PORT] (required with --reverse-kubeconfig unless --mode sync-dr)")
	f.StringVar(&o.ReverseTokenFile, "reverse-token-file", "", `file holding the source cluster's pairing token ("-": stdin)`)
	f.StringVar(&o.ReverseTokenEnv, "reverse-token-env", "", "environment variable holding the source cluster's pairing token")
}

// addObjectStoreFlags adds --object-store, --bucket and the provider flags.
func addObjectStoreFlags(cmd *cobra.Command, o *newFlags) {
	f := cmd.Flags()
	f.StringVar(&o.ObjectStore, "object-store", "", "object store provider for spec.objectStore: s3, azure or google")
	f.StringVar(&o.Bucket, "bucket", "", "object store bucket (s3, google) or blob container (azure)")
	secret := func(file, env *string, name, what string) {
		f.StringVar(file, name+"-file", "", "file holding "+what+` ("-": stdin)`)
		f.StringVar(env, name+"-env", "", "environment variable holding "+what)
	}
	secret(&o.ObjectStoreEncryptionKeyFile, &o.ObjectStoreEncryptionKeyEnv, "object-store-encryption-key", "the key Portworx encrypts the object store's data with (optional)")
	f.StringVar(&o.S3Endpoint, "s3-endpoint", "", "S3 API endpoint, HOST[:PORT] (default s3.amazonaws.com)")
	f.StringVar(&o.S3Region, "s3-region", "", "S3 region (default us-east-1)")
	f.BoolVar(&o.S3DisableSSL, "s3-disable-ssl", false, "talk plain HTTP to --s3-endpoint")
	f.StringVar(&o.S3StorageClass, "s3-storage-class", "", "S3 storage class of the objects written, e.g. STANDARD_IA")
	f.StringVar(&o.S3SSE, "s3-sse", "", "S3 server-side encryption: AES256 or aws:kms")
	secret(&o.S3AccessKeyIDFile, &o.S3AccessKeyIDEnv, "s3-access-key-id", "the S3 access key ID")
	secret(&o.S3SecretAccessKeyFile, &o.S3SecretAccessKeyEnv, "s3-secret-access-key", "the S3 secret access key")
	f.StringVar(&o.AzureAccountName, "azure-account-name", "", "Azure storage account name")
	f.StringVar(&o.AzureEnvironment, "azure-environment", "", "Azure cloud: AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud or AzureGermanCloud")
	f.StringVar(&o.AzureResourceGroup, "azure-resource-group", "", "resource group of the Azure storage account")
	secret(&o.AzureAccountKeyFile, &o.AzureAccountKeyEnv, "azure-account-key", "the Azure storage account key")
	f.StringVar(&o.GoogleProjectID, "google-project-id", "", "Google Cloud project of the bucket")
	secret(&o.GoogleAccountKeyFile, &o.GoogleAccountKeyEnv, "google-account-key", "the Google service-account JSON key")
}
