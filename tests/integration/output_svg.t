#!/bin/bash
# -f svg: a flame graph that is well-formed XML, renders in headless
# Chromium, names the workload's frames with their known values, and whose
# script (search, zoom) works. Workload "mixed": long_nap() 5 x 100 ms,
# short_nap() 50 x 1 ms.
. tests/integration/lib.sh
need_bpf
CHROME=$(command -v chromium || command -v chromium-browser || true)
chrome() { timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --mute-audio "$@" 2>/dev/null; }
# title_of NAME FILE: the <title> text of the frame NAME
title_of() { grep -o "<title>$1 ([^<]*</title>" "$2" | head -1; }
# ms_of TITLE: its value in ms ("(502 ms, 90.1%)" -> 502)
ms_of() { sed -E 's/.*\(([0-9.]+) (s|ms|us), .*/\1 \2/' <<<"$1" |
	awk '{ v = $1; if ($2 == "s") v *= 1000; if ($2 == "us") v /= 1000; print v }'; }

start_wl mixed
trace "$TMP/m" offcpu -p "$WL_PID" -d 2 -f svg -o "$TMP/m.svg"
check "svg is well-formed XML" xmllint --noout "$TMP/m.svg"
t=$(title_of long_nap "$TMP/m.svg")
# us_of TITLE: its value in us
us_of() { awk -v v="$(ms_of "$1")" 'BEGIN { printf "%d", v * 1000 }'; }
w=$(($(wl_clock long_nap) / 1000))
check "long_nap frame: the workload's clock ${w} ms +-10% ($t)" near "$(us_of "$t")" 10 long_nap
t2=$(title_of short_nap "$TMP/m.svg")
w=$(($(wl_clock short_nap) / 1000))
check "short_nap frame: 50 x 1 ms, the workload's clock ${w} ms +-10% ($t2)" \
	near "$(us_of "$t2")" 10 short_nap
check "kernel frames marked [k] in their titles" grep -q '<title>do_nanosleep \[k\] (' "$TMP/m.svg"
# The trace ends with its target, before -d 2 (the workload runs ~1 s).
check "subtitle names tool, target and duration" \
	grep -Eq "<text id=\"subtitle\"[^>]*>latprof offcpu . pid $WL_PID . [0-2]\.[0-9] s" "$TMP/m.svg"
root_y=$(grep -o '<title>all ([^<]*</title><rect x="[0-9.]*" y="[0-9]*"' "$TMP/m.svg" | sed -E 's/.*y="([0-9]+)"/\1/')
check "flame: root at the bottom (y=$root_y)" [ "${root_y:-0}" -gt 100 ]

if [ -z "$CHROME" ]; then
	if [ -n "${CI:-}" ]; then ok 1 "chromium not installed (make deps installs it)"; else
		ok 0 "# SKIP chromium not installed"; fi
else
	chrome --dump-dom "file://$TMP/m.svg?s=long_nap" >"$TMP/dom.xml"
	n=$(grep -o 'data-ready="[0-9]*"' "$TMP/dom.xml" | grep -o '[0-9]*')
	check "chromium ran the script over $n frames" [ "${n:-0}" -gt 10 ]
	check "the DOM holds the workload's frame names" grep -q 'short_nap' "$TMP/dom.xml"
	pct=$(grep -o 'data-pct="[0-9.]*"' "$TMP/dom.xml" | grep -o '[0-9.]*')
	want=$(sed -E 's/.*, ([0-9.]+)%\).*/\1/' <<<"$t")
	check "search 'long_nap' highlights its share: ${pct}% (its frame says ${want}%)" \
		awk -v a="$pct" -v b="$want" 'BEGIN { d = a - b; exit !(d < 0.05 && d > -0.05) }'
	chrome --screenshot="$TMP/m.png" --window-size=1200,600 "file://$TMP/m.svg?z=long_nap"
	sz=$(stat -c %s "$TMP/m.png" 2>/dev/null || echo 0)
	check "zoomed screenshot renders, not blank ($sz bytes)" [ "$sz" -gt 12000 ]
fi

start_wl mixed
trace "$TMP/i" offcpu -p "$WL_PID" -d 2 -f svg --icicle --minwidth 50% -o "$TMP/i.svg"
root_y=$(grep -o '<title>all ([^<]*</title><rect x="[0-9.]*" y="[0-9]*"' "$TMP/i.svg" | sed -E 's/.*y="([0-9]+)"/\1/')
check "--icicle: root at the top (y=$root_y)" [ "${root_y:-999}" -lt 100 ]
check "--minwidth 50%: long_nap (90%) drawn" grep -q '<title>long_nap (' "$TMP/i.svg"
refute "--minwidth 50%: short_nap (10%) left out" grep -q '<title>short_nap (' "$TMP/i.svg"
done_testing
