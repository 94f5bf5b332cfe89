#!/bin/bash
# -f pprof, decoded by protoc against profile.proto (tests/pprof), turned
# back into stacks by tests/pprof/stacks.awk: the totals per stack must be the
# input's; the format's rules must hold (string_table[0] "", dense ids, one
# value per sample type). output_pprof_live.t covers a live trace.
. tests/integration/lib.sh
if ! command -v protoc >/dev/null; then
	[ -n "${CI:-}" ] && { echo "1..1"; echo "not ok 1 - protoc missing (make deps installs protobuf-compiler)"; exit 1; }
	echo "1..0 # SKIP protoc not installed"; exit 0
fi
decode() { gunzip -c "$1" | protoc --proto_path=tests/pprof --decode=perftools.profiles.Profile profile.proto; }

cat >"$TMP/a.folded" <<'X'
# latprof offcpu unit=us
app;main;foo;bar 300
app;main;foo;baz 100
svc;[preempted];main;qux;read;vfs_read_[k] 600
X
"$LATPROF" report -q -f pprof -o "$TMP/a.pb.gz" "$TMP/a.folded"
check "gzip stream" gzip -t "$TMP/a.pb.gz"
decode "$TMP/a.pb.gz" >"$TMP/a.txt"
check "protoc decodes it" [ -s "$TMP/a.txt" ]
awk -f tests/pprof/stacks.awk "$TMP/a.txt" >"$TMP/a.st"
grep -v '^#' "$TMP/a.folded" | sed 's/_\[k\]//g; s/ \([0-9]*\)$/ \1000 0/' | sort >"$TMP/want"
grep -v '^types\|^mapping' "$TMP/a.st" | sort >"$TMP/got"
check "every stack and its total (us -> ns) come back" cmp -s "$TMP/want" "$TMP/got"
diff "$TMP/want" "$TMP/got" | diag
check "sample types: the header's tool, offcpu/nanoseconds, and events/count" grep -qx 'types offcpu/nanoseconds events/count' "$TMP/a.st"
check "string_table[0] is the empty string" \
	[ "$(grep -m1 '^string_table:' "$TMP/a.txt")" = 'string_table: ""' ]
dense() { # dense BLOCK: the ids of BLOCK are 1..N
	awk -v b="$1" '$0 == b " {" { in_b = 1; next } in_b && /^  id:/ { ids[$2] = 1; n++; in_b = 0 }
		END { for (i = 1; i <= n; i++) if (!(i in ids)) exit 1; exit n == 0 }' "$TMP/a.txt"
}
check "location ids dense from 1" dense location
check "function ids dense from 1" dense function
check "every sample has 2 values" \
	awk '/^sample \{/ { if (n && v != 2) bad = 1; n++; v = 0 } /^  value:/ { v++ } END { exit bad || v != 2 }' "$TMP/a.txt"

done_testing
