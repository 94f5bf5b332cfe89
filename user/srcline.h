/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source lines and inlined functions of one ELF file's DWARF (libdw), for
 * --lines: the frames `perf report --inline` shows for one address.
 */
#ifndef LT_SRCLINE_H
#define LT_SRCLINE_H
#include <stdbool.h>
#include <stdint.h>
#include <libelf.h>

struct lt_srcline;

/* One frame at an address. Strings live as long as the lt_srcline. */
struct lt_srcframe {
	const char *func; /* inlined function (linkage name if any); NULL: the outermost */
	const char *file; /* source file as DWARF names it, or NULL */
	uint32_t line; /* 0 when unknown */
};

/*
 * DWARF of an open ELF (the binary itself or its separate debug file).
 * NULL when it has no .debug_info. The Elf must outlive the result.
 */
struct lt_srcline *lt_srcline__open(Elf *elf);
void lt_srcline__free(struct lt_srcline *sl);

/*
 * Frames at link-time address vaddr, innermost first: one per inlined
 * function, then the function they were inlined into (func NULL). Up to max;
 * returns the count, 0 when no compile unit covers vaddr. Results are cached
 * per address. Cannot fail otherwise.
 */
int lt_srcline__lookup(struct lt_srcline *sl, uint64_t vaddr, struct lt_srcframe *out, int max);

/*
 * Does the DWARF describe a function `name` that the compiler inlined
 * (DW_AT_inline) and no subprogram of that name with code of its own? Then
 * it exists only inlined: there is no entry to probe. Walks every compile
 * unit (an error path's question). Cannot fail.
 */
bool lt_srcline__inlined_only(struct lt_srcline *sl, const char *name);

#endif
