//go:build tools

// Package tools makes `go mod tidy` keep the full dependency graph of the Kubernetes
// binaries the project runs in go.sum: the API server tests/kube-apiserver.test.ts starts,
// and the control plane, kubelet and kubectl of the embedded cluster (scripts/cluster/).
// Nothing here is compiled into dfp.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
