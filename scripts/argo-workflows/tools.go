//go:build tools

// Package tools makes `go mod tidy` keep the dependency graph of Argo Workflows'
// controller and executor in go.sum; nothing here is compiled into dfp.
package tools

import (
	_ "github.com/argoproj/argo-workflows/v3/cmd/argoexec"
	_ "github.com/argoproj/argo-workflows/v3/cmd/workflow-controller"
)
