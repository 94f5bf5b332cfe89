/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A process's executable mappings as /proc/PID/maps lists them: the one
 * reader of that file (the symbolizer's snapshots, alloc's allocator search).
 */
#ifndef LT_PROCMAPS_H
#define LT_PROCMAPS_H
#include <stdbool.h>
#include <stdint.h>

/* One executable mapping, as /proc/PID/maps or an mmap record gives it. */
struct lt_mapping {
	uint64_t start, end, pgoff, ino;
	uint32_t dev; /* kernel encoding: major << 20 | minor */
	bool exec;
	char path[4096];
};

/* Parse one /proc/PID/maps line. true when it parsed. */
bool lt_parse_maps_line(const char *line, struct lt_mapping *m);

/*
 * Call cb on each executable mapping of tgid, in the file's order, until cb
 * returns nonzero. -errno when the maps cannot be read (-ENOENT: no such
 * process), else cb's nonzero return, else 0. Lines longer than a path
 * are cut, never read past.
 */
typedef int (*lt_mapping_cb)(const struct lt_mapping *m, void *ctx);
int lt_procmaps_read(uint32_t tgid, lt_mapping_cb cb, void *ctx);

#endif
