# Turn `protoc --decode=perftools.profiles.Profile` text output back into
# folded stacks, "comm;root;...;leaf VALUE0 VALUE1": frames are named through
# location -> line -> function -> string_table, and a location's lines
# (innermost first: inlined functions, then their caller) are reversed into
# root-first order. Also prints "mapping FILE BUILD_ID HAS_FUNCTIONS
# HAS_INLINE_FRAMES" and "types TYPE/UNIT ..." lines.
/^sample_type \{/ { blk = "t"; next }
/^sample \{/ { blk = "s"; ns++; snloc[ns] = 0; nv = 0; next }
/^location \{/ { blk = "l"; next }
/^function \{/ { blk = "f"; next }
/^mapping \{/ { blk = "m"; nm++; mfile[nm] = 0; mbid[nm] = 0; mhas[nm] = "false"; minl[nm] = "false"; next }
/^string_table:/ {
	s = $0; sub(/^string_table: "/, "", s); sub(/"$/, "", s)
	str[nstr++] = s; next
}
/^[a-z_]+:/ { blk = ""; next }
blk == "t" && /^  type:/ { nt++; ttype[nt] = $2; next }
blk == "t" && /^  unit:/ { tunit[nt] = $2; next }
blk == "s" && /^  location_id:/ { sloc[ns, ++snloc[ns]] = $2; next }
blk == "s" && /^  value:/ { sval[ns, ++nv] = $2; next }
blk == "s" && /^    key:/ { lkey = $2; next }
blk == "s" && /^    str:/ { nlab[ns]++; labk[ns, nlab[ns]] = lkey; labs[ns, nlab[ns]] = $2; next }
blk == "l" && /^  id:/ { lid = $2; nline[lid] = 0; next }
blk == "l" && /^    function_id:/ { lfn[lid, ++nline[lid]] = $2; next }
blk == "f" && /^  id:/ { fid = $2; next }
blk == "f" && /^  name:/ { fname[fid] = $2; next }
blk == "m" && /^  filename:/ { mfile[nm] = $2; next }
blk == "m" && /^  build_id:/ { mbid[nm] = $2; next }
blk == "m" && /^  has_functions:/ { mhas[nm] = $2; next }
blk == "m" && /^  has_inline_frames:/ { minl[nm] = $2; next }
/^\}/ { blk = ""; next }
END {
	for (i = 1; i <= ns; i++) {
		out = "?"
		for (j = 1; j <= nlab[i]; j++)
			if (str[labk[i, j]] == "comm")
				out = str[labs[i, j]]
		for (j = snloc[i]; j >= 1; j--) {
			k = sloc[i, j]
			for (l = nline[k]; l >= 1; l--)
				out = out ";" str[fname[lfn[k, l]]]
		}
		print out " " sval[i, 1] " " sval[i, 2]
	}
	for (i = 1; i <= nm; i++)
		print "mapping " str[mfile[i]] " " (mbid[i] ? str[mbid[i]] : "-") " " mhas[i] " " minl[i]
	t = "types"
	for (i = 1; i <= nt; i++)
		t = t " " str[ttype[i]] "/" str[tunit[i]]
	print t
}
