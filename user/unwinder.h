/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Loads CFI unwind tables (user/cfi.c) into a BPF object's lt_unwind_* maps
 * for executable files built without frame pointers, and publishes each
 * process's executable mappings, so bpf/ustack.bpf.h can unwind through
 * them (abi/unwind.h describes the two pools). Tables of the snapshot's
 * files are built before the object is loaded, so the pools are sized from
 * what is needed. Processes BPF meets without a list (started, forked or
 * exec'd after attach) are published by lt_unwinder__refresh(); the
 * session's mmap records publish them sooner (lt_unwinder__publish()).
 */
#ifndef LT_UNWINDER_H
#define LT_UNWINDER_H
#include <stdbool.h>
#include <bpf/libbpf.h>
#include "stack_agg.h"
#include "syms.h"
#include "unwind.h"

struct lt_unwind_stats {
	unsigned int files; /* files examined */
	unsigned int tables; /* tables loaded */
	unsigned int fp_files; /* files with frame pointers: no table needed */
	unsigned int failed; /* no usable .eh_frame */
	unsigned int pool_full; /* files left without a table: the row pool was full */
	unsigned int procs; /* lists published (a process may be published again) */
	unsigned int procs_full; /* lists not published: mapping pool or process map full */
	unsigned long rows, rows_cap; /* rows loaded, and the pool's size */
	unsigned long maps_cap; /* the mapping pool's size */
	unsigned long rewalked; /* stacks walked again by user space over their copy */
	unsigned long copies_dropped; /* copies not kept (memory bound) */
};

struct lt_unwinder;

/*
 * Build, in memory, the tables of every file in s's snapshots (opening the
 * files). NULL on allocation failure (printed).
 */
struct lt_unwinder *lt_unwinder__new(struct lt_symbolizer *s);
void lt_unwinder__free(struct lt_unwinder *u);

/* Pool sizes for lt_stacks_configure(): the rows built plus room to grow. Cannot fail. */
void lt_unwinder__pool_sizes(const struct lt_unwinder *u, unsigned int *rows, unsigned int *maps);

/*
 * After obj is loaded: upload the rows, publish every snapshotted process,
 * attach the exec and fork hooks (lt_unwind_*). 0 or -errno (printed).
 */
int lt_unwinder__attach(struct lt_unwinder *u, struct bpf_object *obj, struct lt_symbolizer *s);

/*
 * (Re)publish tgid's list from s's view of its mappings, loading tables for
 * files not seen before. 0, or -errno on a failure that must stop the trace
 * (printed); a full pool is counted, not an error.
 */
int lt_unwinder__publish(struct lt_unwinder *u, struct lt_symbolizer *s, uint32_t tgid);

/*
 * live: the symbolizer is kept current by mmap records, so a process it
 * knows is published from its view rather than read from /proc again.
 * depth: --perf-max-stack-depth, for the second walks.
 */
void lt_unwinder__configure(struct lt_unwinder *u, bool live, unsigned int depth);

/*
 * A stack walked in BPF before its process's mappings were known has its
 * stack copied (abi/unwind.h). drain_copies() takes the copies written so
 * far; rewalk() walks the copy of (tgid, key) again with the mappings the
 * symbolizer now knows and rewrites st (its frames, end and flags: COPIED).
 * false when there is no copy to walk. Neither fails but for memory.
 */
void lt_unwinder__drain_copies(struct lt_unwinder *u);
/* Drop the second walks' results of processes not in keep (sorted). Cannot fail. */
void lt_unwinder__prune(struct lt_unwinder *u, const uint32_t *keep, size_t nkeep);
/* Drop those of the processes in tgids (sorted): gone, and drained. Cannot fail. */
void lt_unwinder__drop(struct lt_unwinder *u, const uint32_t *tgids, size_t n);
bool lt_unwinder__rewalk(struct lt_unwinder *u, uint32_t tgid, uint64_t key, struct lt_ustack *st);

/* tgid exited: its list is withdrawn and its slice reused later. Cannot fail. */
void lt_unwinder__forget(struct lt_unwinder *u, uint32_t tgid);

/*
 * Publish the processes BPF asked for (lt_unwind_want), snapshotting those s
 * does not know; withdraw processes gone; release slices no walk can still be
 * reading. Call every tick. 0 or -errno.
 */
int lt_unwinder__refresh(struct lt_unwinder *u, struct lt_symbolizer *s);

/*
 * Is the file at path (as the symbolizer names it) built without frame
 * pointers and yet without a table? Then walks that reach it stop there.
 */
bool lt_unwinder__file_untabled(const struct lt_unwinder *u, const char *path);

const struct lt_unwind_stats *lt_unwinder__stats(const struct lt_unwinder *u);

#endif
