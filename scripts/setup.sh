#!/usr/bin/env bash
# Idempotent set-up run before `npm start` and `npm test`: Debian packages skiff needs,
# node_modules in step with package-lock.json, and a fresh build. Safe to run again and again:
# each step does nothing when its work is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the real parts skiff drives (docs/architecture.md, "Real parts").
PACKAGES=(
  etcd-server etcd-client             # the store
  crun runc conmon                    # OCI runtimes and the container monitor
  containernetworking-plugins         # CNI: bridge, host-local, portmap
  docker-registry                     # local OCI registry (tests, skiff up)
  apache2-utils                       # htpasswd -B: the local registry's bcrypt password file
  busybox-static                      # test and demo images are built from it
  iproute2 iptables kmod util-linux   # netns, veth, routes, NAT, mount tools
  conntrack                           # the node proxy flushes UDP flows of removed endpoints
  skopeo umoci                        # benchmark anchors for image pulls
  dnsutils dnsperf                    # dig: the cluster DNS suites' client; dnsperf: its benchmark
  dnsmasq                             # the DNS benchmark's anchor, run as a process of its own (no daemon)
  buildah                             # oracle and benchmark anchor for skiff build
  procps openssl                      # ps and test certificates in the suites
  curl                                # the port-forward checks' clients (kubectl-stream-checks.ts)
  diffutils                           # diff: what `kubectl diff` runs (test/compat/kubectl-secret.test.ts)
  wrk                                 # load generator of the exec bench (port-forward throughput)
  gcc libc6-dev                       # compiles the runtime's spawn companion (a small C program)
  python3 make g++                    # node-gyp builds node-pty (TTY exec) during npm ci
  attr                                # setfattr: overlay opaque dirs and layer xattrs on unpack
  ca-certificates
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's packages start their own etcd, registry and dnsmasq services where an init system
  # runs; skiff starts its own on its own ports, so stop those to keep the default ports free.
  for svc in etcd docker-registry dnsmasq; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
  done
fi

# node_modules in step with the lock file.
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.skiff-lock-sha256
if [[ ! -f $stamp || $(cat "$stamp") != "$lockhash" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lockhash" >"$stamp"
fi

# Build (incremental: cheap when nothing changed): `npm run build`, the TypeScript and the
# spawn companion.
npm run build --silent
