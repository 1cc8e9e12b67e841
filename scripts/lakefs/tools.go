//go:build tools

// Package tools makes `go mod tidy` keep the lakeFS server's full dependency graph in
// go.sum; nothing here is compiled into dfp.
package tools

import (
	// The code generator lakeFS pins in its own go:generate lines: its generated API
	// server code is not part of the published module.
	_ "github.com/deepmap/oapi-codegen/cmd/oapi-codegen"
	_ "github.com/treeverse/lakefs/cmd/lakefs"
)
