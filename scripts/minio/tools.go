//go:build tools

// Package tools makes `go mod tidy` keep MinIO's dependency graph in go.sum; nothing here
// is compiled into dfp.
package tools

import (
	_ "github.com/minio/minio"
)
