# The two commands a newcomer needs: `make synth` renders dist/, `make test` runs every
# test. Each installs what it needs first, from the lock file.
SHELL := /bin/bash
.DEFAULT_GOAL := synth
export CDK8S_CHECK_UPGRADE := false
export NPM_CONFIG_FUND := false
export NPM_CONFIG_AUDIT := false
export NPM_CONFIG_UPDATE_NOTIFIER := false

NODE_STAMP := node_modules/.dfp-npm-ci

.PHONY: synth test fuzz typecheck unit golden install python lakefs kube-apiserver argo-validate bench bench-python \
	cluster-build cluster-up cluster-down cluster-test images images-test e2e lint format clean

# `npm ci` again whenever the lock file or package.json changes.
$(NODE_STAMP): package.json package-lock.json
	npm ci --loglevel=error
	@touch $@

install: $(NODE_STAMP)

# Every conformance harness with its own locked Python environment (kfp, Airflow, …), and
# the benchmark's peers (bench/python), which tests/bench-generator.test.ts uses.
# The images' Python projects with a lock (images/<name>/uv.lock) too: their tests run the
# programs in these venvs (tests/kronodroid-data.test.ts, tests/iris.test.ts).
PY_HARNESSES := $(patsubst %/pyproject.toml,%,$(wildcard tests/conformance/*/pyproject.toml)) bench/python \
  $(patsubst %/uv.lock,%,$(wildcard images/*/uv.lock))

## python: create or refresh each harness's .venv from its uv.lock
python:
	@for h in $(PY_HARNESSES); do scripts/python-env.sh $$h || exit 1; done

## lakefs: build the lakeFS server the lock tests run, from the Go module proxy (once;
## cached in .tools/lakefs/<version>/ by scripts/lakefs-build.sh)
lakefs:
	@scripts/lakefs-build.sh >/dev/null

## kube-apiserver: build the Kubernetes API server and etcd 3.6 that tests/kube-apiserver.test.ts
## runs, from the Go module proxy (once; cached in .tools/kube-apiserver/<version>/ and
## $DFP_CACHE/bin/ by scripts/kube-apiserver.sh)
kube-apiserver:
	@scripts/kube-apiserver.sh >/dev/null

## argo-validate: build our harness around Argo Workflows' own validator (workflow/validate of
## the release the embedded cluster runs), which tests/argo-validate.test.ts runs on every Argo
## file dfp renders, from the Go module proxy (once; cached in .tools/argo-validate/ by
## scripts/argo-validate.sh)
argo-validate:
	@scripts/argo-validate.sh >/dev/null

## cluster-build: build the embedded cluster's binaries from the Go module proxy and install
## containerd, runc, CNI plugins and iptables from Debian (once; cached in $DFP_CACHE/bin)
cluster-build:
	@scripts/cluster/build >/dev/null

## cluster-up: start the embedded single-node Kubernetes cluster (kube-proxy, CoreDNS) with Argo
## Workflows, and MinIO, lakeFS and MLflow under the Service names dist/ uses (root; idempotent;
## prints the kubeconfig's path; docs/cluster.md)
cluster-up:
	@scripts/cluster/up

## cluster-down: stop it and remove every process, mount, route, bridge, rule and path it made
cluster-down:
	@scripts/cluster/down

## cluster-test: up, a Pod, a Job, Services and DNS (lakeFS, MLflow, MinIO by name from pods), a
## two-step Argo Workflow under Pod Security "restricted", down, and a check that the host is as
## before (root, a few minutes; not part of `make test`)
cluster-test: install
	DFP_CLUSTER=1 npx vitest run tests/cluster.test.ts

## synth: render every environment into dist/ (CHECK=1: only report whether dist/ is current)
synth: install
ifeq ($(CHECK),1)
	@node scripts/run.mjs main.ts --check
else
	@node scripts/run.mjs main.ts
endif

## test: type-check and lint, then every vitest suite (unit, golden, conformance, synth)
test: install python lakefs kube-apiserver argo-validate typecheck lint
	npx vitest run

## fuzz: the reliability suites with long budgets (docs/security.md): 5000 hostile strings
## per property, 300 SIGKILLs, 40 fresh-process synths, 20000 malformed pipelines. `make test` runs them with short ones.
RELIABILITY_TESTS := tests/injection.property.test.ts tests/escaping.property.test.ts \
	tests/airflow-escaping.property.test.ts tests/crash-safety.test.ts tests/determinism.test.ts \
	tests/bad-input.test.ts tests/secret-hygiene.test.ts tests/model-boundary.property.test.ts
fuzz: install python typecheck
	DFP_FUZZ_RUNS=$${DFP_FUZZ_RUNS:-5000} DFP_PROPERTY_RUNS=$${DFP_PROPERTY_RUNS:-5000} \
	DFP_CRASH_KILLS=$${DFP_CRASH_KILLS:-300} DFP_DETERMINISM_SYNTHS=$${DFP_DETERMINISM_SYNTHS:-40} \
	DFP_BOUNDARY_RUNS=$${DFP_BOUNDARY_RUNS:-20000} npx vitest run $(RELIABILITY_TESTS)

typecheck: install
	npx tsc --noEmit

## lint: eslint (typescript-eslint's recommended rules) and Prettier's check at width 120
lint: install
	npx eslint --max-warnings 0 .
	npx prettier --check --log-level warn '**/*.{ts,mjs,js}'

## format: rewrite the TypeScript and JavaScript in Prettier's layout (.prettierrc.json)
format: install
	npx prettier --write --log-level warn '**/*.{ts,mjs,js}'

## golden: rewrite the golden files after an intended change; review the diff
golden: install
	UPDATE_GOLDEN=1 npx vitest run tests/golden.test.ts

## bench: dfp against kfp's compiler and Hera for N = 1 … 10000, `make synth` whole-process, Airflow DAG parse cost; writes bench/RESULTS.md (not part of `make test`)
bench: install bench-python
	npx tsx bench/run.ts

# The peers' locked Python environment (kfp 2.17.0, Hera 7.1.0), and real Airflow for the parse cost.
bench-python:
	@scripts/python-env.sh bench/python
	@scripts/python-env.sh tests/conformance/airflow

## images: build every images/*/Containerfile with buildah on the local Debian bases (mmdebstrap) into
## $(DFP_CACHE)/images/<name>/<key>.tar (one per set of inputs; DFP_IMAGES_KEEP, default 2, kept per image),
## only what changed, and record the digests in dfp.lock.json
## (docs/images.md). Cold: the bases ~4 min each, then minutes per image; warm (no change): seconds.
## IMAGES="a b" builds only those. Not part of `make test`.
images: install
	@scripts/images/build.sh $(IMAGES)

## images-test: run built images' entry points for real with runc (tests/images-run.test.ts), and the
## Kronodroid transform on Spark and DataFusion in their images (tests/kronodroid-images.test.ts); after `make images`
images-test: install
	DFP_IMAGES_RUN=1 npx vitest run tests/images-run.test.ts tests/kronodroid-images.test.ts

## e2e: the pipelines in dist/ run for real by Argo, Airflow and kfp's local runner on the embedded
## cluster (root; docs/cluster.md), then a table of the runs and the wall time: what preparing (npm,
## Python envs, images, cluster binaries) and the runs took, and whether this run was cold
## (something built) or warm (scripts/e2e/run; not part of `make test`)
e2e:
	@scripts/e2e/run

clean:
	rm -rf .cdk8s.out .dist.tmp .dist.old .tools tests/conformance/*/.venv bench/python/.venv images/*/.venv
