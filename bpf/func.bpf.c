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
#include <bpf/usdt.bpf.h>
#include "func.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 min_ns = 0; /* -m, in ns */
const volatile __u64 max_ns = ~0ULL; /* -M */
const volatile __u8 count_only = 0; /* --count */
const volatile __s32 arg_n = -1; /* --arg: the USDT argument taken (from 0), -1: none */
const volatile __u8 arg_str = 0; /* --arg N:str: it points at a string */

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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* spans open at once */
	__type(key, struct func_span_key);
	__type(value, struct func_span_start);
} func_spans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FUNC_MAX_ARGS);
	__type(key, __u32);
	__type(value, struct func_arg);
} func_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct func_arg);
} func_arg_scratch SEC(".maps");

static __always_inline void stat_inc(__u32 s)
{
	__u64 *v = bpf_map_lookup_elem(&func_stats, &s);

	if (v)
		(*v)++;
}

/*
 * The key of the current task's event now (lt_key_current_at): user stack
 * only, since the mode takes no kernel stacks (a uprobe's is its own);
 * entry: at the function's first instruction.
 */
static __always_inline void key_current(struct lt_stack_key *k, void *ctx, __u32 probe, bool entry)
{
	lt_key_current_at(k, ctx, lt_sc_task_get(), probe, entry);
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

/*
 * --arg: the value of USDT argument arg_n at this probe, kept in func_args;
 * its id (a hash of the value, never 0), or 0 when there is none to take.
 */
static __always_inline __u32 take_arg(struct pt_regs *ctx)
{
	struct func_arg *a;
	__u32 zero = 0, id;
	__u64 h = 0xcbf29ce484222325ULL;
	long v;

	if (arg_n < 0 || bpf_usdt_arg(ctx, arg_n, &v))
		return 0;
	a = bpf_map_lookup_elem(&func_arg_scratch, &zero);
	if (!a)
		return 0;
	__builtin_memset(a, 0, sizeof(*a));
	if (arg_str) {
		a->is_str = 1;
		if (bpf_probe_read_user_str(a->s, sizeof(a->s), (void *)v) < 0)
			a->s[0] = 0;
		for (int i = 0; i < FUNC_ARG_LEN / 8; i++) {
			h ^= ((__u64 *)a->s)[i];
			h *= 0x100000001b3ULL;
		}
	} else {
		a->v = v;
		h ^= (__u64)v;
		h *= 0x100000001b3ULL;
	}
	id = (__u32)(h ^ (h >> 32)) ?: 1;
	if (!bpf_map_lookup_elem(&func_args, &id) &&
	    bpf_map_update_elem(&func_args, &id, a, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&func_args, &id)) {
		stat_inc(FUNC_STAT_ARGS_FULL);
		return 0;
	}
	return id;
}

/* A USDT probe hit: counted by the stack there (and --arg's value). */
SEC("usdt")
int func_usdt_hit(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_stack_key k = {};

	if (!lt_current_selected(id >> 32, (__u32)id))
		return 0;
	stat_inc(FUNC_STAT_CALLS);
	key_current(&k, ctx, (__u32)bpf_usdt_cookie(ctx), false);
	k.aux2 = take_arg(ctx);
	lt_agg_add(&k, 1);
	return 0;
}

/* --span: its start probe on this thread (a later start replaces it). */
SEC("usdt")
int func_span_begin(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct func_span_key k = { .tid = (__u32)id, .span = (__u32)bpf_usdt_cookie(ctx) };
	struct func_span_start v = {};

	if (!lt_current_selected(id >> 32, (__u32)id))
		return 0;
	v.ts = bpf_ktime_get_ns();
	v.arg = take_arg(ctx);
	if (bpf_map_update_elem(&func_spans, &k, &v, BPF_ANY))
		stat_inc(FUNC_STAT_SPANS_FULL);
	return 0;
}

/* --span: its end probe: the time since the thread's start, by the stack here. */
SEC("usdt")
int func_span_end(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), id = bpf_get_current_pid_tgid(), delta;
	struct func_span_key sk = { .tid = (__u32)id, .span = (__u32)bpf_usdt_cookie(ctx) };
	struct lt_stack_key k = {};
	struct func_span_start *st;
	__u32 arg;

	st = bpf_map_lookup_elem(&func_spans, &sk);
	if (!st) {
		if (lt_current_selected(id >> 32, (__u32)id))
			stat_inc(FUNC_STAT_SPAN_UNMATCHED);
		return 0;
	}
	delta = now - st->ts;
	arg = st->arg;
	bpf_map_delete_elem(&func_spans, &sk);
	stat_inc(FUNC_STAT_CALLS);
	if (delta < min_ns || delta > max_ns)
		return 0;
	key_current(&k, ctx, sk.span, false);
	k.aux2 = arg;
	lt_agg_add(&k, delta);
	return 0;
}
