/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Loads CFI unwind tables (user/cfi.c) into a BPF object's lt_unwind_* maps
 * for executable files built without frame pointers, and publishes each
 * process's mappings of them, so bpf/ustack.bpf.h can unwind through them.
 * Processes BPF meets without a published list (started or exec'd after
 * attach) are picked up by lt_unwinder__refresh().
 */
#ifndef LT_UNWINDER_H
#define LT_UNWINDER_H
#include <bpf/libbpf.h>
#include "syms.h"
#include "unwind.h"

struct lt_unwind_stats {
	unsigned int files; /* files examined */
	unsigned int tables; /* tables loaded */
	unsigned int fp_files; /* files with frame pointers: no table needed */
	unsigned int failed; /* no usable .eh_frame, or the row pool is full */
	unsigned int procs; /* processes whose mappings were published */
	unsigned long rows;
};

struct lt_unwinder;

/* For a loaded obj with the ustack maps. NULL on failure (printed). */
struct lt_unwinder *lt_unwinder__new(struct bpf_object *obj);
void lt_unwinder__free(struct lt_unwinder *u);

/* Tables and mapping lists for every process in s. 0 or -errno (printed). */
int lt_unwinder__load(struct lt_unwinder *u, struct lt_symbolizer *s);

/*
 * Snapshot and publish the processes BPF asked for (lt_unwind_want), loading
 * tables for files not seen before. Cheap when there are none. 0 or -errno.
 */
int lt_unwinder__refresh(struct lt_unwinder *u, struct lt_symbolizer *s);

const struct lt_unwind_stats *lt_unwinder__stats(const struct lt_unwinder *u);

#endif
