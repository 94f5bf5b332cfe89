/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Loads CFI unwind tables (user/cfi.c) into a BPF object's lt_unwind_* maps
 * for every snapshotted executable file built without frame pointers, so
 * bpf/ustack.bpf.h can unwind through them.
 */
#ifndef LT_UNWIND_USER_H
#define LT_UNWIND_USER_H
#include <bpf/libbpf.h>
#include "syms.h"
#include "unwind.h"

struct lt_unwind_stats {
	unsigned int files; /* files examined */
	unsigned int tables; /* tables loaded */
	unsigned int fp_files; /* files with frame pointers: no table needed */
	unsigned int failed; /* no usable .eh_frame, or the row pool is full */
	unsigned long rows;
};

/* Build and load tables into the loaded `obj`. 0 or -errno (printed). */
int lt_unwind_load(struct lt_symbolizer *s, struct bpf_object *obj, struct lt_unwind_stats *st);

#endif
