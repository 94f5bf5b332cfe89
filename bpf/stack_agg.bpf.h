/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel side of the one stack aggregator: the maps every tool shares and
 * lt_agg_add(). User space (user/stacks.c) sizes the maps before load and
 * drains them while tracing.
 *
 * The aggregation map has two generations, lt_agg and lt_agg1; the one
 * events go to is the single slot of lt_agg_gen, a map of maps. To drain,
 * user space puts the other one in the slot. The kernel returns from that
 * update only after an RCU grace period (maybe_wait_bpf_programs() in
 * kernel/bpf/syscall.c, for every map-of-maps update since 4.19), and every
 * program that could still hold the old map runs inside an RCU read-side
 * section. So when the update returns, nothing writes the old generation any
 * more: user space reads and empties it with no update lost between a read
 * and a delete.
 */
#ifndef LT_STACK_AGG_BPF_H
#define LT_STACK_AGG_BPF_H
#include <bpf/bpf_helpers.h>
#include "stack_agg.h"

#ifndef EEXIST
#define EEXIST 17
#endif

struct lt_agg_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* set by user space: --stack-storage-size */
	__type(key, struct lt_stack_key);
	__type(value, struct lt_stack_val);
};

struct lt_agg_map lt_agg SEC(".maps"), lt_agg1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct lt_agg_map);
} lt_agg_gen SEC(".maps") = {
	.values = { &lt_agg },
};

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1); /* set by user space: --stack-storage-size */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, LT_MAX_STACK_DEPTH * sizeof(__u64));
} lt_kstacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} lt_stats SEC(".maps");

const struct lt_stack_val lt_zero_val = {};

static __always_inline void lt_stat_inc(enum lt_stat s)
{
	__u32 k = s;
	__u64 *v = bpf_map_lookup_elem(&lt_stats, &k);

	if (v)
		(*v)++;
}

/*
 * Which stacks the trace takes: -U (user only) clears lt_want_kstack, -K
 * (kernel only) lt_want_ustack. Set by lt_stacks_configure() for every tool.
 */
const volatile __u8 lt_want_ustack = 1;
const volatile __u8 lt_want_kstack = 1;

/* Kernel stack of the current task; LT_NO_KSTACK on failure (counted). */
static __always_inline __s32 lt_kstack_get(void *ctx)
{
	long id = bpf_get_stackid(ctx, &lt_kstacks, 0);

	if (id >= 0)
		return id;
	if (id == -EEXIST)
		lt_stat_inc(LT_STAT_KSTACK_COLLISION);
	else if (id == -12 /* ENOMEM */)
		lt_stat_inc(LT_STAT_KSTACK_FULL);
	else
		lt_stat_inc(LT_STAT_KSTACK_FAULT);
	return LT_NO_KSTACK;
}

/* The current task's kernel stack if the trace takes kernel stacks, else LT_NO_KSTACK. */
static __always_inline __s32 lt_kstack_want(void *ctx)
{
	return lt_want_kstack ? lt_kstack_get(ctx) : LT_NO_KSTACK;
}

/*
 * Add n events of `value` each (the tool's unit), and value2 (its second
 * unit) in all, to the stack in `key`: total and count grow n times, the
 * histogram's bucket of value by n. n > 1 when one sampled event stands for n.
 */
static __always_inline void lt_agg_add_n(struct lt_stack_key *key, __u64 value, __u64 value2,
					 __u32 n)
{
	__u32 zero = 0, slot;
	void *agg = bpf_map_lookup_elem(&lt_agg_gen, &zero);
	struct lt_stack_val *val;

	if (!agg) {
		lt_stat_inc(LT_STAT_AGG_FULL);
		return;
	}
	val = bpf_map_lookup_elem(agg, key);
	if (!val) {
		long err = bpf_map_update_elem(agg, key, &lt_zero_val, BPF_NOEXIST);

		if (err && err != -EEXIST) {
			lt_stat_inc(LT_STAT_AGG_FULL);
			return;
		}
		if (!err)
			lt_stat_inc(LT_STAT_AGG_NEW);
		val = bpf_map_lookup_elem(agg, key);
		if (!val) {
			lt_stat_inc(LT_STAT_AGG_FULL);
			return;
		}
	}
	slot = lt_hist_slot(value);
	/* Keep the bound visible to the verifier after the compiler's rewrites. */
	asm volatile("" : "+r"(slot));
	if (slot >= LT_HIST_SLOTS)
		slot = LT_HIST_SLOTS - 1;
	__sync_fetch_and_add(&val->total, value * n);
	__sync_fetch_and_add(&val->count, n);
	if (value2)
		__sync_fetch_and_add(&val->total2, value2);
	__sync_fetch_and_add(&val->hist[slot], n);
	lt_stat_inc(LT_STAT_EVENTS);
}

/* One event of `value`, and value2 in the second unit. */
static __always_inline void lt_agg_add2(struct lt_stack_key *key, __u64 value, __u64 value2)
{
	lt_agg_add_n(key, value, value2, 1);
}

static __always_inline void lt_agg_add(struct lt_stack_key *key, __u64 value)
{
	lt_agg_add_n(key, value, 0, 1);
}

#endif
