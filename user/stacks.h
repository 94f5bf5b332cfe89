/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User side of the one stack aggregator (bpf/stack_agg.bpf.h): sizes its maps
 * before load and turns the aggregation map and stack maps into a profile.
 */
#ifndef LT_STACKS_H
#define LT_STACKS_H
#include <stdbool.h>
#include <bpf/libbpf.h>
#include "profile.h"

struct lt_stack_opts {
	unsigned int storage_size; /* entries in lt_agg, lt_kstacks, lt_ustacks */
	unsigned int max_depth; /* frames kept per stack, <= LT_MAX_STACK_DEPTH */
	/* Unwinder pools (lt_unwinder__pool_sizes()); 0 leaves them at one entry. */
	unsigned int unwind_rows, unwind_maps;
	bool user_only, kernel_only; /* -U, -K: the BPF side gets the other stack not at all */
};

#define LT_DEFAULT_STACK_STORAGE 16384

/*
 * Size the maps, set the depth and which stacks are taken (lt_want_ustack,
 * lt_want_kstack) of an opened, unloaded obj. 0 or -errno (printed).
 */
int lt_stacks_configure(struct bpf_object *obj, const struct lt_stack_opts *o);

struct lt_unwinder;
struct lt_unwind_stats;

/*
 * The processes whose stacks are still to be named: those in lt_agg and in
 * p's samples, sorted, each once (*out: caller frees). 0 or -errno.
 */
int lt_stacks_tgids(struct bpf_object *obj, const struct lt_profile *p, uint32_t **out, size_t *n);

/*
 * Move everything in lt_agg into p (merging with what p holds), resolving
 * stack ids to frames now; a user stack walked before its process's
 * mappings were known is walked again over its copy by unw (when not NULL).
 * With `clear`, entries are deleted as they are read (for -i intervals);
 * stack maps are kept so ids stay valid. Also refreshes p->stats. 0 or
 * -errno (printed).
 */
/*
 * From user space, as lt_agg_add() does in BPF: add total to k's sum in the
 * aggregation map fd agg, and n events to its count and to the histogram's
 * bucket of value. 0 or -errno (a full map: -E2BIG).
 */
int lt_stacks_add(int agg, const struct lt_stack_key *k, uint64_t total, uint64_t n,
		  uint64_t value);

int lt_stacks_collect(struct bpf_object *obj, struct lt_profile *p, bool clear,
		      struct lt_unwinder *unw);

/*
 * One line naming the events that could not be recorded (and every limit
 * that cut a user stack walk: the unwinder's pools in us, when not NULL, and
 * the mmap records lost) with the option that raises the limit, or nothing
 * when none were lost. Cannot fail.
 */
void lt_stacks_report_lost(const struct lt_profile *p, const struct lt_unwind_stats *us,
			   uint64_t mmap_lost);

/*
 * How complete the user stacks of a symbolized profile are: one line with -v
 * (the share of events and value whose stack reached its root, and why the
 * others stopped), and at any verbosity one line saying what to do when more
 * than 1% of the value stopped early for a reason the user can act on.
 */
void lt_stacks_report_completeness(const struct lt_profile *p);

#endif
