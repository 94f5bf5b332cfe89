// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof func: the latency of chosen functions of a running process, by
 * caller stack. A uprobe on each function's entry pushes the call on the
 * thread's stack of calls in progress; a uretprobe pops it at the return and
 * aggregates its time under the caller's stack (taken there: only calls
 * within -m/-M pay for a walk), with the function's index as aux.
 *
 * Calls are matched by the stack pointer: at the entry it points at the
 * return address, and right after the return it is 8 bytes above. Frames
 * deeper than the returning one never returned (longjmp, a C++ exception,
 * a thread cancelled) and are dropped, counted; recursion needs nothing
 * else. --count takes the entry only: one trap per call, counted by the
 * stack at the entry.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "target.bpf.h"
#include "stack_agg.bpf.h"
#define LT_SC_TASK /* per-thread stack cache in task storage */
#include "ustack.bpf.h"
#include "func.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 min_ns = 0; /* -m, in ns */
const volatile __u64 max_ns = ~0ULL; /* -M */
const volatile __u8 count_only = 0; /* --count */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536); /* threads with calls in progress */
	__type(key, __u32);
	__type(value, struct func_thread);
} func_threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FUNC_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} func_stats SEC(".maps");

const struct func_thread func_zero = {};

static __always_inline void stat_inc(__u32 s)
{
	__u64 *v = bpf_map_lookup_elem(&func_stats, &s);

	if (v)
		(*v)++;
}

/*
 * The key of the current task's event now, user stack only (a uprobe's
 * kernel stack is its own); entry: at the function's first instruction.
 */
static __always_inline void key_current(struct lt_stack_key *k, void *ctx, __u32 probe, bool entry)
{
	__u64 id = bpf_get_current_pid_tgid();

	k->tgid = id >> 32;
	k->pid = (__u32)id;
	k->aux = probe;
	k->kstack = LT_NO_KSTACK;
	k->ustack = lt_want_ustack ? lt_ustack_get_sc(ctx, lt_sc_task_get(), entry) : LT_NO_USTACK;
	bpf_get_current_comm(k->comm, sizeof(k->comm));
}

SEC("uprobe")
int BPF_KPROBE(func_entry)
{
	__u64 id = bpf_get_current_pid_tgid(), sp = PT_REGS_SP(ctx);
	__u32 tid = (__u32)id, probe = (__u32)bpf_get_attach_cookie(ctx), d;
	struct lt_stack_key k = {};
	struct func_thread *t;

	if (!lt_current_selected(id >> 32, tid))
		return 0;
	stat_inc(FUNC_STAT_CALLS);
	if (count_only) {
		key_current(&k, ctx, probe, true);
		lt_agg_add(&k, 1);
		return 0;
	}
	t = bpf_map_lookup_elem(&func_threads, &tid);
	if (!t) {
		bpf_map_update_elem(&func_threads, &tid, &func_zero, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&func_threads, &tid);
		if (!t) {
			stat_inc(FUNC_STAT_NO_THREAD);
			return 0;
		}
		t->tgid = id >> 32;
	}
	/* Calls whose frames are at or below this one's never returned. */
	for (int i = 0; i < FUNC_MAX_DEPTH; i++) {
		d = t->depth;
		if (!d || d > FUNC_MAX_DEPTH || t->f[(d - 1) & (FUNC_MAX_DEPTH - 1)].sp > sp)
			break;
		t->depth = d - 1;
		stat_inc(FUNC_STAT_ABANDONED);
	}
	d = t->depth;
	if (d >= FUNC_MAX_DEPTH) {
		stat_inc(FUNC_STAT_DEEP);
		return 0;
	}
	t->f[d].ts = bpf_ktime_get_ns();
	t->f[d].sp = sp;
	t->f[d].probe = probe;
	t->depth = d + 1;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(func_return)
{
	__u64 now = bpf_ktime_get_ns(), id = bpf_get_current_pid_tgid();
	/* Right after the return the stack pointer is 8 above the entry's. */
	__u64 sp = PT_REGS_SP(ctx) - 8, delta;
	__u32 tid = (__u32)id, d, probe;
	struct lt_stack_key k = {};
	struct func_frame *f;
	struct func_thread *t;

	t = bpf_map_lookup_elem(&func_threads, &tid);
	if (!t)
		return 0;
	/* Deeper calls never returned: pop them, then this one. */
	for (int i = 0; i < FUNC_MAX_DEPTH; i++) {
		d = t->depth;
		if (!d || d > FUNC_MAX_DEPTH)
			break;
		f = &t->f[(d - 1) & (FUNC_MAX_DEPTH - 1)];
		if (f->sp >= sp)
			break;
		t->depth = d - 1;
		stat_inc(FUNC_STAT_ABANDONED);
	}
	d = t->depth;
	if (!d || d > FUNC_MAX_DEPTH) {
		stat_inc(FUNC_STAT_UNMATCHED);
		return 0;
	}
	f = &t->f[(d - 1) & (FUNC_MAX_DEPTH - 1)];
	if (f->sp != sp) { /* an outer call's frame: this call began before the trace */
		stat_inc(FUNC_STAT_UNMATCHED);
		return 0;
	}
	t->depth = d - 1;
	delta = now - f->ts;
	probe = f->probe;
	if (delta < min_ns || delta > max_ns)
		return 0;
	key_current(&k, ctx, probe, false);
	lt_agg_add(&k, delta);
	return 0;
}
