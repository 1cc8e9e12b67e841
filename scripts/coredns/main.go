// Command coredns is CoreDNS, built from the Go module proxy with only the plugins the
// embedded cluster's DNS uses (scripts/cluster/up): the `kubernetes` plugin answers
// *.svc.cluster.local from the API server; bind, health and ready keep every listener on
// the addresses up gives; errors, log, cache, loadbalance and template are the usual
// companions. No forward plugin: the cluster resolves its own names and nothing else.
// Nothing here is compiled into dfp.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/template"
)

func init() {
	// The order in which the plugins handle a query: the same relative order as CoreDNS's
	// own plugin.cfg.
	if err := dnsserver.SetDirectives([]string{
		"bind", "ready", "health", "errors", "log", "loadbalance", "cache", "template", "kubernetes",
	}); err != nil {
		panic(err)
	}
}

func main() { coremain.Run() }
