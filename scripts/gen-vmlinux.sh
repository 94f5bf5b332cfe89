#!/bin/sh
# Regenerate vmlinux/x86/vmlinux.h from the running kernel's BTF.
# CO-RE relocations make the result portable: regenerate only to pick up new
# kernel types, never to "match" a target kernel.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
out=${2:-$(dirname "$0")/../vmlinux/x86/vmlinux.h}
bpftool=${BPFTOOL:-bpftool}
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux: cannot read '$btf': kernel built without CONFIG_DEBUG_INFO_BTF?" >&2
	exit 1
fi
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
"$bpftool" btf dump file "$btf" format c >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out from $btf"
