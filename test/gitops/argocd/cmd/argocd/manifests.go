package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	utilio "github.com/argoproj/argo-cd/v3/util/io"
	utiltls "github.com/argoproj/argo-cd/v3/util/tls"
)

// envFlags collects repeated -env NAME=VALUE flags.
type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

// manifests asks a running argocd-repo-server for an Application source's
// manifests over its gRPC API (reposerver/apiclient), with the request the
// application controller sends for a source with `plugin:`
// (controller/state.go: AppName, Namespace, ProjectName and the project's
// source repositories among others). -project is required: it is the
// Application's spec.project, which Argo CD v3 hands the plugin as
// ARGOCD_APP_PROJECT_NAME. It prints each manifest as a JSON line; a
// manifest-generation error goes to stderr and exits 1.
func manifests(args []string) error {
	fs := flag.NewFlagSet("manifests", flag.ContinueOnError)
	server := fs.String("repo-server", "", "host:port of argocd-repo-server")
	repo := fs.String("repo", "", "the Application's spec.source.repoURL")
	revision := fs.String("revision", "HEAD", "spec.source.targetRevision")
	path := fs.String("path", "", "spec.source.path")
	plugin := fs.String("plugin", "", "spec.source.plugin.name")
	app := fs.String("app", "clusterpair", "the Application's name")
	project := fs.String("project", "", "the Application's spec.project (required)")
	kubeVersion := fs.String("kube-version", "", "the destination's server version, as the controller sends it (KUBE_VERSION)")
	namespace := fs.String("namespace", "app", "spec.destination.namespace")
	var env envFlags
	fs.Var(&env, "env", "spec.source.plugin.env entry NAME=VALUE (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *project == "" {
		return fmt.Errorf("manifests: -project is required (the Application's spec.project)")
	}
	src := &v1alpha1.ApplicationSource{RepoURL: *repo, Path: *path, TargetRevision: *revision,
		Plugin: &v1alpha1.ApplicationSourcePlugin{Name: *plugin}}
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("-env %q is not NAME=VALUE", kv)
		}
		src.Plugin.Env = append(src.Plugin.Env, &v1alpha1.EnvEntry{Name: name, Value: value})
	}
	conn, client, err := apiclient.NewRepoServerClientset(*server, 300, utiltls.Configuration{DisableTLS: true}).NewRepoServerClient()
	if err != nil {
		return err
	}
	defer utilio.Close(conn)
	resp, err := client.GenerateManifest(context.Background(), &apiclient.ManifestRequest{
		Repo:               &v1alpha1.Repository{Repo: *repo},
		Revision:           *revision,
		NoCache:            true,
		AppLabelKey:        "app.kubernetes.io/instance",
		AppName:            *app,
		Namespace:          *namespace,
		ApplicationSource:  src,
		TrackingMethod:     "label",
		ProjectName:        *project,
		KubeVersion:        *kubeVersion,
		ProjectSourceRepos: []string{"*"},
	})
	if err != nil {
		return fmt.Errorf("manifest generation: %w", err)
	}
	for _, m := range resp.Manifests {
		fmt.Fprintln(os.Stdout, m)
	}
	return nil
}
