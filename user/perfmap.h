/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Perf maps: /tmp/perf-PID.map, the convention of Node's --perf-basic-prof,
 * perf-map-agent, LuaJIT... A file the traced process controls, so opened
 * and read with bounds (docs/SECURITY.md).
 */
#ifndef LT_PERFMAP_H
#define LT_PERFMAP_H
#include <stdint.h>
#include <stdio.h>

#define LT_PERF_MAP_MAX (1ULL << 30) /* bytes read at most */
#define LT_PERF_MAP_SYMS (4U << 20) /* entries kept at most */

/* One line of a perf map: JIT code the runtime described. */
struct lt_jit_sym {
	uint64_t start, size;
	char *name;
};

/*
 * Read a perf map ("START SIZE NAME" lines, hex) from f into *syms (sorted
 * by start, *n entries; caller frees each name and the array): at most
 * LT_PERF_MAP_SYMS entries, a line longer than 4 KiB skipped whole. Exposed
 * for tests and the fuzzer. 0 or -ENOMEM (what was read is kept).
 */
int lt_perf_map_read(FILE *f, struct lt_jit_sym **syms, unsigned int *n);

/*
 * Open the perf map of process tgid (nspid: its pid in its own namespace)
 * safely, or NULL (a refusal is counted and said under -v).
 */
FILE *lt_perf_map_open(uint32_t tgid, uint32_t nspid);

#endif
