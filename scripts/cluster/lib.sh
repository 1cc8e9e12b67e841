# Shared settings of the embedded cluster's scripts (sourced, not run).
# Every address is loopback or the cluster's own bridge; nothing here may name another.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DFP_CACHE="${DFP_CACHE:-$HOME/.cache/dfp}"
BIN_DIR="$DFP_CACHE/bin"
# The running cluster's files: certificates, configs, logs, etcd's data, containerd's root.
STATE="${DFP_CLUSTER_DIR:-$DFP_CACHE/cluster}"
KUBECONFIG_PATH="$STATE/kubeconfig"

# Not 10.88.0.0/16: podman's default network (podman0, 10.88.0.1) may be up on this machine.
BRIDGE=dfp0
NODE_IP=10.77.0.1
POD_CIDR=10.77.0.0/24
SERVICE_CIDR=10.96.0.0/24
API_SERVICE_IP=10.96.0.1
API_PORT=6443
ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380
MINIO_PORT=9000
MINIO_CONSOLE_PORT=9001
# The cluster's DNS: CoreDNS on the host at $NODE_IP:53, the Service kube-system/kube-dns at
# $DNS_SERVICE_IP (kubelet's clusterDNS). Its health and readiness answer on 127.0.0.1 only.
DNS_SERVICE_IP=10.96.0.10
COREDNS_HEALTH_PORT=10054
COREDNS_READY_PORT=10055
# kube-proxy's own health and metrics servers (127.0.0.1 only).
KUBE_PROXY_HEALTHZ_PORT=10256
KUBE_PROXY_METRICS_PORT=10249
# The platform services the pipelines talk to, host processes on $NODE_IP (scripts/cluster/
# services), named in the cluster by selector-less Services (the names dist/ uses).
LAKEFS_PORT=8000
MLFLOW_PORT=5000
NODE_NAME=dfp-node
# The namespace Argo's controller runs in and manages (namespaced install); a pipeline's
# namespace (e.g. ml-staging) can be given instead.
ARGO_NAMESPACE="${DFP_ARGO_NAMESPACE:-argo}"
CONTAINERD_SOCK="$STATE/containerd/containerd.sock"

# Versions of what is not pinned by a wrapper module's go.mod.
PAUSE_IMAGE=registry.dfp.internal/dfp/pause:1
ARGOEXEC_IMAGE_REPO=registry.dfp.internal/dfp/argoexec

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

# The version a wrapper module pins, read by Go itself.
wrapper_version() { (cd "$ROOT/scripts/$1" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' "$2"); }

# docker_archive OUT REF ENTRYPOINT FILE...: writes a docker-archive tarball (what `ctr
# images import` reads) of one layer holding each FILE at /bin/<basename>, mode 0755, owned
# by root, and an empty /tmp (mode 1777), with ENTRYPOINT (a path) and user 65532. Deterministic: the same files give the
# same image ID. For the pause and executor images and the tests' static-binary images.
docker_archive() {
  local out="$1" ref="$2" entrypoint="$3"; shift 3
  local dir; dir="$(mktemp -d)"
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp"
  chmod 1777 "$dir/rootfs/tmp"
  local f
  for f in "$@"; do install -m 0755 "$f" "$dir/rootfs/bin/$(basename "$f")"; done
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/rootfs" -cf "$dir/layer.tar" bin tmp
  local diff; diff="$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)"
  mkdir -p "$dir/img/$diff"
  mv "$dir/layer.tar" "$dir/img/$diff/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["%s"],"Env":["PATH=/bin"],"User":"65532:65532"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"dfp scripts/cluster"}]}' \
    "$entrypoint" "$diff" >"$dir/config.json"
  local cfg; cfg="$(sha256sum "$dir/config.json" | cut -d' ' -f1)"
  mv "$dir/config.json" "$dir/img/$cfg.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cfg" "$ref" "$diff" >"$dir/img/manifest.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/img" -cf "$out.tmp" .
  mv "$out.tmp" "$out"
  rm -rf "$dir"
}

# Paths kubelet, containerd and the CNI plugins write outside $STATE whatever they are told;
# up records which existed before it, down removes the others.
FIXED_PATHS=(
  /var/log/containers /var/log/pods /var/lib/kubelet /var/lib/kubelet/device-plugins
  /run/containerd /run/containerd/s /run/containerd/fifo /run/containerd/runc
  /var/lib/cni /var/lib/cni/results /run/netns /etc/cni /opt/cni /opt/containerd /var/lib/containerd
)
# Kernel settings kubelet and the bridge plugin change; up records them, down restores them.
SYSCTLS=(
  net.ipv4.ip_forward vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  # kube-proxy's: it is told to leave them alone (conntrack settings 0, no localhost
  # NodePorts), and they are restored all the same if it ever does not.
  net.ipv4.conf.all.route_localnet net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait
)

kubectl_() { "$BIN_DIR/kubectl-$K8S_VERSION" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
ctr_() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# dist/ names images `name:tag@sha256:…`; the kubelet (CRI) resolves that as `name@sha256:…`,
# a name `ctr images import` never makes (a registry pull does). For each REF (name:tag)
# containerd holds, adds the name `name@<its manifest digest>` when missing, so a pod that
# pins exactly that digest finds it, and one that pins another digest does not. Prints the
# names it added.
tag_digest_names() {
  local ref name digest listed
  listed="$(ctr_ images ls)" || return 1
  for ref in "$@"; do
    # (Only repository names: the CRI also lists each image by its id, sha256:<config digest>.)
    [[ "$ref" == *@* || "$ref" != */* ]] && continue
    digest="$(awk -v r="$ref" '$1 == r { print $3; exit }' <<<"$listed")"
    [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || continue
    [[ "${ref##*/}" == *:* ]] || continue # (no tag: a registry's port is not one)
    name="${ref%:*}"
    awk -v r="$name@$digest" '$1 == r { f = 1 } END { exit !f }' <<<"$listed" && continue
    if ctr_ images tag "$ref" "$name@$digest" >/dev/null; then echo "$name@$digest"
    else echo "cluster: could not name $ref by its digest $digest (ctr images tag)" >&2; fi
  done
  return 0
}

# The pid in $STATE/run/NAME.pid if that process still runs the binary it was started with.
running_pid() {
  local f="$STATE/run/$1.pid" pid exe
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"; exe="$(cat "$STATE/run/$1.exe" 2>/dev/null || true)"
  [[ -n "$pid" && -d "/proc/$pid" ]] || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe" ]] || return 1
  echo "$pid"
}

# Stops the process up started as NAME (TERM, then KILL after 15 s) and forgets it. up starts
# each in its own session (setsid), so its process group is its pid: the group is signalled,
# which ends a server's workers too (MLflow's).
stop_named() {
  local pid i
  if pid="$(running_pid "$1")"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do [[ -d "/proc/$pid" ]] || break; sleep 0.1; done
    [[ -d "/proc/$pid" ]] && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    # What is left of its group (workers that outlived their parent).
    kill -KILL -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do [[ -d "/proc/$pid" ]] || break; sleep 0.1; done
    log "stopped $1 (pid $pid)"
  fi
  rm -f "$STATE/run/$1.pid" "$STATE/run/$1.exe" "$STATE/run/$1.sig"
}

# expose PORT: a service the host runs on 127.0.0.1:PORT becomes reachable from pods at
# $NODE_IP:PORT (route_localnet on the bridge plus one DNAT rule); down removes the rule.
expose() {
  iptables -t nat -C DFP-PREROUTING -i "$BRIDGE" -d "$NODE_IP/32" -p tcp --dport "$1" \
    -m comment --comment dfp-cluster -j DNAT --to-destination "127.0.0.1:$1" 2>/dev/null ||
  iptables -t nat -A DFP-PREROUTING -i "$BRIDGE" -d "$NODE_IP/32" -p tcp --dport "$1" \
    -m comment --comment dfp-cluster -j DNAT --to-destination "127.0.0.1:$1"
}
