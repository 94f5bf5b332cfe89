/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Waker stacks, for the tools that key a block by who ended it (offcpu
 * --wakers, wall --wakers): at sched_waking, in the waker's context, the
 * tool notes the waker into its per-thread record of the wakee
 * (lt_waker_note); when the block ends it publishes the waker into lt_wakers
 * and keys the block by the id (lt_waker_take). abi/waker.h has the layout.
 */
#ifndef LT_WAKER_BPF_H
#define LT_WAKER_BPF_H
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "stack_agg.bpf.h"
#include "ustack.bpf.h"
#include "stack_cache.bpf.h"
#include "waker.h"

/* --wakers, and its filters (--waker-pid, --waker-comm): 0 and "" take any. */
const volatile __u8 lt_wakers_on = 0;
const volatile __u32 lt_waker_tgid = 0;
const volatile char lt_waker_comm[LT_COMM_LEN] = {};

enum lt_waker_state { LT_WAKER_NONE, LT_WAKER_SEEN, LT_WAKER_FILTERED };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct lt_waker);
} lt_wakers SEC(".maps");

static __always_inline bool lt_waker_comm_ok(const char *comm)
{
	for (int i = 0; i < LT_COMM_LEN; i++) {
		if (comm[i] != lt_waker_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/*
 * Is the tracepoint running on the current task's own kernel stack? Not in
 * a hard or soft interrupt, which x86-64 runs on the per-CPU interrupt stack
 * (ksoftirqd, a task, runs softirqs on its own). tp_btf's ctx, the argument
 * array, is in the tracepoint's frame (the program's own stack may be a
 * private per-CPU one, 6.13 and later). No preempt_count needed, which the
 * verifier can address only with CONFIG_KALLSYMS_ALL.
 */
static __always_inline bool lt_on_task_stack(void *ctx)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(cur);
	__u64 at = (__u64)ctx, lo = (__u64)BPF_CORE_READ(cur, stack), hi = (__u64)regs;

	if (at < lo || at >= hi)
		return false;
	/*
	 * An interrupt that came from user mode runs on the task's stack,
	 * whose entry registers then say so: orig_ax is the syscall number in
	 * a syscall, negative (~vector, or -1) in an interrupt.
	 */
	return !BPF_CORE_READ(cur, mm) || (long)BPF_CORE_READ(regs, orig_ax) >= 0;
}

/*
 * The current task wakes a thread: note it in w, with its stacks (through
 * the stack cache sc of the waker's task, or NULL; direct: sc's kernel
 * check by direct loads). A wakeup from an interrupt is noted as no task
 * (pid 0, no comm, no user stack) with its kernel stack, which tells user
 * space a timer from other interrupt work. Returns the lt_waker_state to
 * keep: LT_WAKER_FILTERED when the filters reject it (an interrupt is no
 * task they can choose).
 */
static __always_inline __u32 lt_waker_note(void *ctx, struct lt_waker *w, struct lt_scache *sc,
					   bool direct)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!lt_on_task_stack(ctx)) {
		__builtin_memset(w, 0, sizeof(*w));
		w->ustack = LT_NO_USTACK;
		w->kstack = lt_kstack_want(ctx);
		return lt_waker_tgid || lt_waker_comm[0] ? LT_WAKER_FILTERED : LT_WAKER_SEEN;
	}
	w->tgid = id >> 32;
	w->pid = (__u32)id;
	bpf_get_current_comm(w->comm, sizeof(w->comm));
	if ((lt_waker_tgid && w->tgid != lt_waker_tgid) ||
	    (lt_waker_comm[0] && !lt_waker_comm_ok(w->comm)))
		return LT_WAKER_FILTERED;
	if (!lt_want_kstack)
		w->kstack = LT_NO_KSTACK;
	else if (sc)
		w->kstack = lt_kstack_get_cached(ctx, bpf_get_current_task_btf(), sc, direct);
	else
		w->kstack = lt_kstack_get(ctx);
	w->ustack = lt_ustack_want(ctx, sc);
	return LT_WAKER_SEEN;
}

/* FNV-1a over the waker, cut to LT_WAKER_ID_BITS; never 0. */
static __always_inline __u64 lt_waker_id(const struct lt_waker *w)
{
	const __u64 *v = (const __u64 *)w;
	__u64 h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < (int)(sizeof(*w) / 8); i++) {
		h ^= v[i];
		h *= 0x100000001b3ULL;
	}
	h &= (1ULL << LT_WAKER_ID_BITS) - 1;
	return h ?: 1;
}

/*
 * The waker of a block that ends, in state *state (reset): its id, 0 for
 * none seen (a preemption), or -1 when the filters reject the block (a block
 * ended by a waker they do not choose, or by no waking, is not counted).
 * A full lt_wakers map counts the block without its waker.
 */
static __always_inline __s64 lt_waker_take(const struct lt_waker *w, __u32 *state)
{
	__u32 st = *state;
	__u64 id;

	*state = LT_WAKER_NONE;
	if (!lt_wakers_on)
		return 0;
	if (st != LT_WAKER_SEEN)
		return lt_waker_tgid || lt_waker_comm[0] ? -1 : 0;
	id = lt_waker_id(w);
	if (!bpf_map_lookup_elem(&lt_wakers, &id) &&
	    bpf_map_update_elem(&lt_wakers, &id, w, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&lt_wakers, &id)) {
		lt_stat_inc(LT_STAT_WAKER_FULL);
		return 0;
	}
	return id;
}

/* A block's aux: the tool's own 8 bits and the waker id's high bits (aux2 holds the rest). */
static __always_inline __u32 lt_waker_aux(__u32 own, __u64 waker)
{
	return lt_waker_aux_encode((struct lt_waker_aux){ .own = own, .waker_hi = waker >> 32 });
}

#endif
