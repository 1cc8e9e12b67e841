// argocd runs the two Argo CD v2 components the embedded cluster needs, from the pinned
// release's own command packages: `argocd application-controller ARGS…` and
// `argocd repo-server ARGS…` (the API server, UI and CLI are not built). scripts/argocd/build
// builds it; scripts/argocd/up runs it.
package main

import (
	"fmt"
	"os"

	controller "github.com/argoproj/argo-cd/v2/cmd/argocd-application-controller/commands"
	reposerver "github.com/argoproj/argo-cd/v2/cmd/argocd-repo-server/commands"
	"github.com/spf13/cobra"
)

func main() {
	var cmd *cobra.Command
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "application-controller":
			cmd = controller.NewCommand()
		case "repo-server":
			cmd = reposerver.NewCommand()
		}
	}
	if cmd == nil {
		fmt.Fprintln(os.Stderr, "usage: argocd application-controller|repo-server [FLAGS]")
		os.Exit(2)
	}
	cmd.SetArgs(os.Args[2:])
	if err := cmd.Execute(); err != nil {
		os.Exit(1)
	}
}
