// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof alloc, hot mode: the bytes each allocation call asks for, per user
 * stack, from uprobes on the entry of the allocator the target really uses
 * (glibc, jemalloc, tcmalloc: user space finds it). One program per
 * function, as the size is a different argument of each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "target.bpf.h"
#include "stack_agg.bpf.h"
#include "ustack.bpf.h"
#include "alloc.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u8 want_ustack = 1;
const volatile __u32 sample_rate = 1; /* --sample-rate: one in N */
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
const volatile __u8 value_count = 0; /* --value count: each allocation counts 1 */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ALLOC_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} alloc_stats SEC(".maps");

static __always_inline void record(void *ctx, __u64 size)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_stack_key k = {};
	__u32 zero = ALLOC_STAT_CALLS;
	__u64 *calls;

	if (!lt_current_selected(id >> 32, (__u32)id))
		return;
	calls = bpf_map_lookup_elem(&alloc_stats, &zero);
	if (calls)
		(*calls)++;
	if (size < min_size || size > max_size)
		return;
	/* One in sample_rate, weighted by it: the totals stay unbiased. */
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return;
	k.tgid = id >> 32;
	k.pid = (__u32)id;
	k.kstack = LT_NO_KSTACK;
	k.ustack = want_ustack ? lt_ustack_get(ctx) : LT_NO_USTACK;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	lt_agg_add_n(&k, value_count ? 1 : size, 0, sample_rate);
}

SEC("uprobe")
int BPF_KPROBE(alloc_malloc, __u64 size)
{
	record(ctx, size);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(alloc_calloc, __u64 nmemb, __u64 size)
{
	record(ctx, nmemb * size);
	return 0;
}

/* realloc(ptr, size), memalign/aligned_alloc(align, size) */
SEC("uprobe")
int BPF_KPROBE(alloc_second_arg, void *unused, __u64 size)
{
	record(ctx, size);
	return 0;
}

/* reallocarray(ptr, nmemb, size) */
SEC("uprobe")
int BPF_KPROBE(alloc_reallocarray, void *ptr, __u64 nmemb, __u64 size)
{
	record(ctx, nmemb * size);
	return 0;
}

/* posix_memalign(memptr, align, size) */
SEC("uprobe")
int BPF_KPROBE(alloc_posix_memalign, void *memptr, __u64 align, __u64 size)
{
	record(ctx, size);
	return 0;
}
