//go:build tools

// Package tools makes `go mod tidy` keep the API server's full dependency graph in go.sum,
// and the Argo CRD modules the tests install; nothing here is compiled into dfp.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
