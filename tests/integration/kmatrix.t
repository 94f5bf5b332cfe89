#!/bin/bash
# The fast subset of `make kmatrix`: the same static latprof on Debian's 6.1
# kernel under qemu: it boots, chooses its attach points there (tp_btf, the
# stack cache checked by probe reads: 6.1 has no bpf_rdonly_cast), and passes
# the offcpu ground-truth test (blocker_sleep 20 x 50 ms = 1 s +-10%).
# About 20 s once the kernel and qemu are installed (scripts/kmatrix.sh does
# that itself). LATPROF_NO_KMATRIX=1 skips it (outside CI).
. tests/integration/lib.sh
need_bpf
if [ -n "${LATPROF_NO_KMATRIX:-}" ] && [ -z "${CI:-}" ]; then
	echo "1..0 # SKIP LATPROF_NO_KMATRIX set"
	exit 0
fi
# The matrix runs a fully static binary, which sanitizers cannot be linked
# into; SAN=1 checks this machine's runs.
if [ -n "${SAN:-}" ]; then
	echo "1..0 # SKIP SAN=1: the kernel matrix runs a static build"
	exit 0
fi
KMATRIX_HOST=0 scripts/kmatrix.sh --fast >"$TMP/km.out" 2>"$TMP/km.err"
rc=$?
lines=$(grep -E '^[^ ].* (ok|FAIL) \(' "$TMP/km.out")
if [ -z "$lines" ]; then
	check "kmatrix ran (rc $rc)" false
	diag <"$TMP/km.err"
	done_testing
fi
while IFS= read -r l; do
	case $l in
	*" ok ("*) ok 0 "$l" ;;
	*) ok 1 "$l" ;;
	esac
done <<<"$lines"
check "6.1 row present" grep -q '^6\.1\..*offcpu_sleep *ok' "$TMP/km.out"
check "the probe-read stack cache chosen on 6.1" grep -q 'stack cache: probe reads' "$TMP/km.out"
check "6.1's feature row: no bpf_rdonly_cast, no uprobe_multi, fentry" \
	grep -Eq '^    features: .*; fentry; no rdonly_cast .*; no uprobe_multi ' "$TMP/km.out"
check "kmatrix exits 0" [ "$rc" -eq 0 ]
[ "$_failed" -eq 0 ] || { diag <"$TMP/km.out"; diag <"$TMP/km.err"; }
done_testing
