// A wrapper module whose only job is to pin the releases whose CustomResourceDefinitions
// tests/kube-apiserver.test.ts installs in the test API server: Argo Workflows'
// full CRDs (manifests/base/crds/full/) and Argo CD's (manifests/crds/). Nothing is
// compiled from them; go.sum holds each module zip's checksum, which `go mod download`
// checks, so the CRD files are exactly those of the pinned release.
module dfp.internal/kube-crds

go 1.24.0

require (
	github.com/argoproj/argo-cd/v3 v3.5.7
	github.com/argoproj/argo-workflows/v4 v4.0.5
)
