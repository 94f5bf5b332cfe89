#!/bin/bash
# Command line: help, version, and usage errors (exit 2, one line on stderr).
# Needs no root: usage errors are found before anything is loaded.
. tests/integration/lib.sh

usage_error() { # usage_error NAME ARGS...: exit 2 and exactly one line on stderr
	local name=$1; shift
	"$LATPROF" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	ok $(( rc == 2 && $(wc -l <"$TMP/err") == 1 ? 0 : 1 )) "$name: exit 2, one line ($(head -1 "$TMP/err"))"
}

check "latprof --help exits 0 and lists offcpu" bash -c "$LATPROF --help | grep -q offcpu"
check "latprof --version" bash -c "$LATPROF --version | grep -q '^latprof [0-9]'"
check "latprof offcpu --help shows its options" bash -c "$LATPROF offcpu --help | grep -q -- --min-block"
# Every command's help: exit 0, on stdout only, every format expanded (a
# help printed with fputs showed "%%" literally).
for cmd in $("$LATPROF" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'); do
	"$LATPROF" "$cmd" --help >"$TMP/h.out" 2>"$TMP/h.err"
	rc=$?
	bad=$(grep -nE '%%|%[-0-9.]*(l?l?[sduxf]|zu)' "$TMP/h.out" | head -1)
	ok $(( rc == 0 && $(wc -c <"$TMP/h.err") == 0 && $(grep -c "^Usage: latprof $cmd " "$TMP/h.out") == 1 ? 0 : 1 )) \
		"latprof $cmd --help: exit 0, usage on stdout (rc $rc)"
	check "latprof $cmd --help: no unexpanded format ($bad)" [ -z "$bad" ]
done
cmds=$("$LATPROF" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }' | sort | tr '\n' ' ')
check "latprof --help lists the eight commands ($cmds)" [ "$cmds" = "alloc diff func io offcpu report tcp wall " ]
usage_error "no command" 
usage_error "unknown command" frobnicate
usage_error "unknown option" offcpu --frobnicate
usage_error "malformed pid" offcpu -p 12x
usage_error "malformed --min-block" offcpu -m fast
usage_error "negative duration" offcpu -d -5
usage_error "--state X" offcpu --state X
usage_error "-m above -M" offcpu -m 100 -M 10
usage_error "-U with -K" offcpu -U -K
usage_error "unknown format" offcpu -f png
usage_error "stray argument" offcpu 1234
done_testing
