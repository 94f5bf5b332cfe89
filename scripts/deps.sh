#!/bin/sh
# Install the Debian packages latprof's build, tests and demo need, only when
# missing. Called by `make deps` (and so by `make`, `make demo`, `make test`).
set -eu
pkgs="clang-19 llvm-19 libbpf-dev bpftool libelf-dev zlib1g-dev make gcc perl binutils libc6-dbg libiberty-dev g++ libclang-rt-19-dev liblzma-dev xz-utils libdw-dev libxml2-utils chromium jq protobuf-compiler libjemalloc-dev libbz2-dev golang-go linux-perf systemtap-sdt-dev"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run 'make deps' as root or install them with apt-get" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
