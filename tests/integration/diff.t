#!/bin/bash
# latprof diff over folded files the test writes, so every expected change is
# known: the same file (no change), one stack doubled, one shrunk, all doubled
# (--normalize: no change in shares).
. tests/integration/lib.sh
cat >"$TMP/b.folded" <<'X'
# latprof offcpu unit=us
app;main;foo;bar 300
app;main;foo;baz 100
svc;main;qux;read;vfs_read_[k] 600
X
sed 's/bar 300/bar 600/' "$TMP/b.folded" >"$TMP/a.folded"
sed 's/baz 100/baz 40/' "$TMP/b.folded" >"$TMP/s.folded"
awk '{ $NF = $NF * 2; print }' "$TMP/b.folded" >"$TMP/x2.folded"
D() { "$LATPROF" diff "$@"; }

D "$TMP/b.folded" "$TMP/b.folded" >"$TMP/self.out"
check "against itself: exit 0 and 0 of 3 stacks changed" grep -q ': 0 of 3 stacks changed$' "$TMP/self.out"
refute "against itself: no rows" grep -q 'Stacks by change' "$TMP/self.out"

D "$TMP/b.folded" "$TMP/a.folded" >"$TMP/d.out"
check "one stack doubled: 1 of 3 changed" grep -q ': 1 of 3 stacks changed$' "$TMP/d.out"
check "that stack: 300 us -> 600 us, +300 us, +100.0%" \
	grep -Eq '^ +300 us +600 us +\+300 us +\+100\.0%  app$' "$TMP/d.out"
check "named by its frames" grep -q '^      bar <- foo <- main$' "$TMP/d.out"
check "function foo: 400 -> 700 us, +75.0%" grep -Eq '^ +400 us +700 us +\+300 us +\+75\.0%  foo$' "$TMP/d.out"
refute "unchanged baz is not listed" grep -q 'baz' "$TMP/d.out"

D "$TMP/b.folded" "$TMP/s.folded" >"$TMP/s.out"
check "a stack shrunk: 100 -> 40 us, -60 us, -60.0%" grep -Eq '^ +100 us +40 us +-60 us +-60\.0%  app$' "$TMP/s.out"

D --normalize "$TMP/b.folded" "$TMP/x2.folded" >"$TMP/n.out"
check "--normalize, every stack doubled: 0 changed" grep -q ': 0 of 3 stacks changed (BEFORE normalized' "$TMP/n.out"
D "$TMP/b.folded" "$TMP/x2.folded" >"$TMP/n2.out"
check "without --normalize the same files: 3 changed" grep -q ': 3 of 3 stacks changed$' "$TMP/n2.out"

D -q -f folded -o "$TMP/d.folded" "$TMP/b.folded" "$TMP/a.folded"
check "-f folded: 'stack BEFORE AFTER' for the doubled stack" grep -qx 'app;main;foo;bar 300 600' "$TMP/d.folded"
check "-f folded: unchanged stacks with equal values" grep -qx 'svc;main;qux;read;vfs_read_\[k\] 600 600' "$TMP/d.folded"

D -q -f svg -o "$TMP/d.svg" "$TMP/b.folded" "$TMP/a.folded" "$TMP/s.folded" 2>/dev/null
check "three files: usage error" [ $? -eq 2 ]
D -q -f svg -o "$TMP/d.svg" "$TMP/s.folded" "$TMP/a.folded"
check "diff svg is well-formed" xmllint --noout "$TMP/d.svg"
check "bar grew 300 -> 600: red, title says before and +100.0%" \
	grep -q '<title>bar (600 us, [0-9.]*%; before 300 us, +300 us, +100.0%)</title><rect [^>]*fill="rgb(255,' "$TMP/d.svg"
check "vfs_read unchanged: near white" \
	grep -q '<title>vfs_read \[k\] (600 us, [0-9.]*%; before 600 us, +0 us, +0.0%)</title><rect [^>]*fill="rgb(245,245,245)"' "$TMP/d.svg"
D -q -f svg -o "$TMP/r.svg" "$TMP/a.folded" "$TMP/b.folded"
check "bar shrank 600 -> 300: blue" \
	grep -q '<title>bar (300 us, [0-9.]*%; before 600 us, -300 us, -50.0%)</title><rect [^>]*fill="rgb([0-9]*,[0-9]*,255)"' "$TMP/r.svg"
D -q -f json "$TMP/b.folded" "$TMP/a.folded" 2>"$TMP/j.err"
check "-f json: usage error, says folded or svg" grep -q 'cannot show a diff: use folded or svg' "$TMP/j.err"
done_testing
