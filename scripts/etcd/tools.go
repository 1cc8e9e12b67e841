//go:build tools

// Package tools makes `go mod tidy` keep etcd's full dependency graph in go.sum; nothing
// here is compiled into dfp.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
