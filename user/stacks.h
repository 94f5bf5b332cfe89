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

struct lt_drain_stats;

/*
 * Size the maps, set the depth and which stacks are taken (lt_want_ustack,
 * lt_want_kstack) of an opened, unloaded obj. 0 or -errno (printed).
 */
int lt_stacks_configure(struct bpf_object *obj, const struct lt_stack_opts *o);

struct lt_unwinder;
struct lt_unwind_stats;

/*
 * From user space, as lt_agg_add() does in BPF: add total to k's sum in the
 * aggregation map events go to now, and n events to its count and to the
 * histogram's bucket of value. 0 or -errno (a full map: -E2BIG).
 */
int lt_stacks_add(struct bpf_object *obj, const struct lt_stack_key *k, uint64_t total, uint64_t n,
		  uint64_t value);

/*
 * The drain: moves what the kernel aggregated into user space while tracing,
 * so that a trace of any length loses nothing to full maps. The aggregation
 * map has two generations (bpf/stack_agg.bpf.h); a drain switches events to
 * the other one, waits out the programs that still hold the old one (an RCU
 * grace period, inside the switch's map update), then reads and empties it.
 * User stacks of processes that exited are forgotten from their map once
 * their events are read (lt_drain__forget_ustacks()).
 */
struct lt_drain;

struct lt_drain_stats {
	uint64_t drains, by_fill; /* drains, and how many a map's fill asked for */
	uint64_t keys; /* aggregation entries read */
	uint64_t ustacks_forgotten; /* user stacks of exited processes deleted from their map */
	uint64_t ustacks_missing; /* entries whose user stack was no longer stored */
	unsigned int agg_fill_max, ustack_fill_max; /* highest fill seen, percent */
	double flip_ms_max, drain_ms_max; /* longest switch (grace period), longest drain */
};

/* For a loaded obj with storage_size entries per map. NULL with errno on failure. */
struct lt_drain *lt_drain__new(struct bpf_object *obj, unsigned int storage_size);
void lt_drain__free(struct lt_drain *d);

/*
 * Whether a drain is due at now (CLOCK_MONOTONIC s): a map is half full, or
 * two seconds have passed. Also notes the highest fills. Cannot fail.
 */
bool lt_drain__due(struct lt_drain *d, double now);

/*
 * Switch generations and move the old one into p (merging with what p
 * holds), resolving stack ids to frames now; a user stack walked before its
 * process's mappings were known is walked again over its copy by unw (when
 * not NULL). Refreshes p->stats. 0 or -errno (printed).
 */
int lt_drain__collect(struct lt_drain *d, struct lt_profile *p, struct lt_unwinder *unw);

/*
 * Delete from the user stack map the stacks of processes found gone (by
 * gone()) at the previous call, unless another process found them too; note
 * the processes gone now for the next call. 0 or -errno.
 */
int lt_drain__forget_ustacks(struct lt_drain *d, bool (*gone)(void *ctx, uint32_t tgid), void *ctx);

/*
 * The processes whose user stacks the last lt_drain__forget_ustacks()
 * forgot (gone a drain before it, all their events drained), sorted; valid
 * until the next call. Cannot fail.
 */
const uint32_t *lt_drain__forgotten(const struct lt_drain *d, size_t *n);

/*
 * The processes with events not yet drained, sorted, each once (*out:
 * caller frees). 0 or -errno.
 */
int lt_drain__tgids(struct lt_drain *d, uint32_t **out, size_t *n);

const struct lt_drain_stats *lt_drain__stats(const struct lt_drain *d);

/*
 * One line naming the events that could not be recorded (and every limit
 * that cut a user stack walk: the unwinder's pools in us, when not NULL, and
 * the mmap records lost) with the option that raises the limit, or nothing
 * when none were lost. Cannot fail.
 */
void lt_stacks_report_lost(const struct lt_profile *p, const struct lt_unwind_stats *us,
			   const struct lt_drain_stats *ds, uint64_t mmap_lost);

/*
 * How complete the user stacks of a symbolized profile are: one line with -v
 * (the share of events and value whose stack reached its root, and why the
 * others stopped), and at any verbosity one line saying what to do when more
 * than 1% of the value stopped early for a reason the user can act on.
 */
void lt_stacks_report_completeness(const struct lt_profile *p);

#endif
