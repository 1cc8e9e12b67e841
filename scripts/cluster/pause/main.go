// Command pause is the process a pod sandbox holds its namespaces with: it does nothing
// until SIGINT or SIGTERM ends it. Static (CGO_ENABLED=0), standard library only, so the
// image is this one file FROM scratch.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
}
