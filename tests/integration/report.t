#!/bin/bash
# latprof report over folded files whose values the test writes itself, so
# every expected number is computed from the input. No root needed.
. tests/integration/lib.sh
cat >"$TMP/a.folded" <<'X'
# latprof offcpu unit=us
app;main;foo;bar 300
app;main;foo;baz 100
# a comment, and a blank line

svc;main;qux;read;vfs_read_[k] 600
X
printf 'app;main;foo;bar 50\nsvc;[preempted];spin 25\n' >"$TMP/b.folded"
R() { "$LATPROF" report "$@"; }

R "$TMP/a.folded" >"$TMP/t.out" 2>"$TMP/t.err"
check "report exits 0" [ $? -eq 0 ]
check "total of the file: 1000 us" grep -q '3 stacks, total 1 ms' "$TMP/t.out"
check "top stack: svc's 600 us, 60.00%" grep -Eq '^ +600 us +60\.00%  svc$' "$TMP/t.out"
check "function main: total 1 ms (100%), self 0" grep -Eq '^ +1 ms 100\.00% +0 us +0\.00%  main$' "$TMP/t.out"
check "function foo: total 400 us (40%)" grep -Eq '^ +400 us +40\.00% +0 us +0\.00%  foo$' "$TMP/t.out"
check "kernel frame vfs_read keeps its [k] mark, self 600 us" \
	grep -Eq '^ +600 us +60\.00% +600 us +60\.00%  vfs_read \[k\]$' "$TMP/t.out"

R -q -o "$TMP/m.folded" "$TMP/a.folded" "$TMP/b.folded"
check "two files merge: app;main;foo;bar = 300 + 50" grep -qx 'app;main;foo;bar 350' "$TMP/m.folded"
check "pseudo-frame kept: svc;[preempted];spin 25" grep -qx 'svc;\[preempted\];spin 25' "$TMP/m.folded"
check "kernel mark written back: ...;vfs_read_[k] 600" grep -qx 'svc;main;qux;read;vfs_read_\[k\] 600' "$TMP/m.folded"
sum=$(awk '{ s += $NF } END { print s }' "$TMP/m.folded")
check "merged total is the inputs' total (1075): $sum" [ "$sum" = 1075 ]

t() { R -q -o "$TMP/f.folded" "$@" "$TMP/a.folded" && awk '{ s += $NF } END { print s + 0 }' "$TMP/f.folded"; }
check "--grep foo keeps 400" [ "$(t --grep foo)" = 400 ]
check "--grep 'vfs_read' matches a kernel frame: 600" [ "$(t --grep vfs_read)" = 600 ]
check "--exclude foo keeps 600" [ "$(t --exclude foo)" = 600 ]
check "--comm app keeps 400" [ "$(t --comm app)" = 400 ]
check "--min-share 20 drops baz (10%): 900" [ "$(t --min-share 20)" = 900 ]
check "--grep main --exclude qux --min-share 50: bar (75% of 400) alone, 300" \
	[ "$(t --grep main --exclude qux --min-share 50)" = 300 ]

R -q -f svg -o "$TMP/r.svg" --palette offcpu "$TMP/a.folded"
check "to svg: well-formed" xmllint --noout "$TMP/r.svg"
check "to svg: foo's frame says 400 us, 40.00%" grep -q '<title>foo (400 us, 40.00%)</title>' "$TMP/r.svg"

# JSON: written by -f json, read back by report; values survive the round trip.
R -q -f json -o "$TMP/a.json" "$TMP/a.folded"
quiet() { "$@" >/dev/null; }
check "-f json is valid JSON (jq)" quiet jq -e . "$TMP/a.json"
check "json: format and unit" [ "$(jq -r '.format + " " + .unit' "$TMP/a.json")" = "latprof-profile us" ]
check "json: foo;bar stack has total 300, frames root first" \
	[ "$(jq -c '[.stacks[] | select(.total == 300) | .frames[][0]]' "$TMP/a.json")" = '["main","foo","bar"]' ]
check "json: vfs_read is a kernel frame" \
	[ "$(jq -r '.stacks[].frames[] | select(.[0] == "vfs_read") | .[1]' "$TMP/a.json")" = kernel ]
R -q -o "$TMP/rt.folded" "$TMP/a.json"
grep -v "^#" "$TMP/rt.folded" | sort >"$TMP/rt.s"
grep -v '^#' "$TMP/a.folded" | grep . | sort >"$TMP/a.s"
check "json -> folded gives back the input stacks and values" cmp -s "$TMP/a.s" "$TMP/rt.s"
cat >"$TMP/p.json" <<'X'
{"format":"latprof-profile","version":1,"tool":"offcpu","unit":"us","stacks":[
{"comm":"a","pid":10,"tid":11,"total":70,"count":2,"frames":[["main","user"],["wait","user"]],"hist":[[32,36,2]]},
{"comm":"a","pid":20,"tid":20,"total":30,"count":1,"frames":[["main","user"]],"hist":[]}]}
X
R -q -o "$TMP/p.folded" --pid 10 "$TMP/p.json"
check "--pid 10 over JSON keeps that process: a;main;wait 70" grep -qx 'a;main;wait 70' "$TMP/p.folded"
refute "--pid 10 drops pid 20" grep -q 'a;main 30' "$TMP/p.folded"
R -q --pid 10 "$TMP/a.folded" 2>"$TMP/pid.err"
check "--pid over folded input: exit 1, says folded stacks carry no pids" \
	grep -q 'folded stacks carry none' "$TMP/pid.err"
R -q -f json -o "$TMP/p2.json" "$TMP/p.json"
check "json -> json keeps pid and histogram" \
	quiet jq -e '.stacks[] | select(.pid == 10) | .hist == [[32,36,2]]' "$TMP/p2.json"
printf '{"format":"latprof-profile",\n"stacks":[\n{"comm":"a",]}\n' >"$TMP/bad.json"

# -o onto what is not a regular file is written in place, never replaced.
R -q -o /dev/null "$TMP/a.folded"
check "-o /dev/null: exit 0, and /dev/null is still a character device" test -c /dev/null
mkfifo "$TMP/out.fifo"
cat "$TMP/out.fifo" >"$TMP/fifo.got" &
R -q -o "$TMP/out.fifo" "$TMP/a.folded"
wait $!
check "-o FIFO: the stacks come through the FIFO" grep -qx 'app;main;foo;bar 300' "$TMP/fifo.got"
check "-o FIFO: the FIFO is still a FIFO" test -p "$TMP/out.fifo"

# Malformed input: one error with file:line, exit 1, nothing written.
bad() { # bad NAME FILE PATTERN
	rm -f "$TMP/x.folded"
	R -q -o "$TMP/x.folded" "$2" 2>"$TMP/bad.err"
	local rc=$?
	check "$1: exit 1 ($rc)" [ $rc -eq 1 ]
	check "$1: error says '$3'" grep -q -- "$3" "$TMP/bad.err"
	check "$1: one line of error" [ "$(wc -l <"$TMP/bad.err")" -eq 1 ]
	refute "$1: no output written" test -e "$TMP/x.folded"
}
printf 'a;b 1\na;c\n' >"$TMP/nocount"
bad "missing count" "$TMP/nocount" "nocount:2: no count"
bad "invalid JSON" "$TMP/bad.json" "bad.json:3: not valid JSON: expected a key"
printf 'a;b 1\na;b 1\na;c 12x\n' >"$TMP/badcount"
bad "bad count" "$TMP/badcount" "badcount:3: bad count '12x'"
head -c 4096 "$LATPROF" >"$TMP/binary"
bad "binary file" "$TMP/binary" "binary data"
bad "missing file" "$TMP/nonexistent" "cannot read '$TMP/nonexistent': No such file"
mkfifo "$TMP/huge"
(yes a | tr -d '\n' | head -c 1073741824 >"$TMP/huge") 2>/dev/null &
bad "a 1 GiB line" "$TMP/huge" "huge:1: line longer than 4 MiB"
kill %1 2>/dev/null
R 2>"$TMP/u.err"; check "no files: usage error, exit 2" [ $? -eq 2 ]
R --min-share 200 "$TMP/a.folded" 2>/dev/null; check "--min-share 200: usage error" [ $? -eq 2 ]
R --grep '(' "$TMP/a.folded" 2>"$TMP/g.err"
check "bad regex: usage error naming --grep" grep -q "invalid --grep '('" "$TMP/g.err"
# The unit: from latprof's folded header; none known, plain numbers (an
# alloc profile's bytes once read as microseconds: "24.9 s").
printf '# latprof alloc unit=bytes\napp;main;malloc 2621440\n' >"$TMP/al.folded"
R "$TMP/al.folded" >"$TMP/al.out" 2>"$TMP/al.err"
check "an alloc folded file's header: its total in bytes (2.5 MiB)" grep -q 'total 2.5 MiB' "$TMP/al.out"
printf 'app;main;malloc 2621440\n' >"$TMP/nu.folded"
R "$TMP/nu.folded" >"$TMP/nu.out" 2>"$TMP/nu.err"
check "folded stacks without the header: plain numbers, no unit" grep -q 'total 2621440$' "$TMP/nu.out"
check "and a note that the unit is unknown" grep -q "unit is unknown" "$TMP/nu.err"
R --unit us "$TMP/nu.folded" >"$TMP/nu2.out" 2>&1
check "--unit us reads them as microseconds (2.62 s)" grep -q 'total 2.62 s' "$TMP/nu2.out"
done_testing
