// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof offcpu: time threads spend off-CPU between switch-out and switch-in,
 * summed per (thread, user stack, kernel stack, class) in the kernel.
 *
 * Three attach flavours of sched_switch share one body; user space loads the
 * first that the kernel accepts (tp_btf, then raw_tp, then the tracepoint).
 * At switch-out the task is current, so its stacks are captured then; at
 * switch-in the block's duration is known and it is aggregated or discarded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "target.bpf.h"
#include "stack_agg.bpf.h"
#include "ustack.bpf.h"
#include "stack_cache.bpf.h"
#include "offcpu.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0x0000
#define TASK_UNINTERRUPTIBLE 0x0002
#define TASK_DEAD 0x0080
#define TASK_NOLOAD 0x0400

const volatile __u32 classes = OFFCPU_WANT(OFFCPU_SLEEP) | OFFCPU_WANT(OFFCPU_BLOCKED);
const volatile __u64 min_block_ns = 1000;
const volatile __u64 max_block_ns = ~0ULL;
const volatile __u8 want_ustack = 1;
const volatile __u8 want_kstack = 1;

struct offcpu_start {
	__u64 ts;
	__u64 ustack;
	__s32 kstack;
	__u32 class;
	__u32 tgid;
	__u32 pad;
};

/* Per thread with tp_btf: the block's start and the thread's stack cache. */
struct offcpu_task {
	struct offcpu_start s;
	struct lt_scache sc;
};

/*
 * Where a block's start waits for its switch-in: task-local storage with
 * tp_btf (no hashing, nothing to fill up, freed with the task), a pid-keyed
 * hash for the flavours without BTF task pointers. User space shrinks the
 * one that is not used.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct offcpu_task);
} start_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* threads off-CPU at once */
	__type(key, __u32);
	__type(value, struct offcpu_start);
} start SEC(".maps");

static __always_inline __u32 classify(bool preempt, __u32 state)
{
	if (preempt || state == TASK_RUNNING)
		return OFFCPU_PREEMPT;
	/* TASK_IDLE (D | NOLOAD) is an idle wait, not I/O: count it as sleep. */
	if ((state & TASK_UNINTERRUPTIBLE) && !(state & TASK_NOLOAD))
		return OFFCPU_BLOCKED;
	return OFFCPU_SLEEP;
}

enum state_src { STATE_BTF, STATE_RAW, STATE_TP };

/*
 * Switch-out of the current task: filter first (the cheapest test that
 * rejects most events), then the state. Returns true and fills the class,
 * tgid and pid of s when the block is to be timed.
 */
static __always_inline bool switch_out_wanted(bool preempt, void *prev, enum state_src src,
					      __u32 tp_state, struct offcpu_start *s, __u32 *pidp)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = (__u32)id, tgid = id >> 32, class, state;

	if (!pid || !lt_current_selected(tgid, pid))
		return false;
	state = src == STATE_BTF ? lt_task_state_btf(prev) :
		src == STATE_RAW ? lt_task_state(prev) :
				   tp_state;
	if (state & TASK_DEAD)
		return false;
	class = classify(preempt, state);
	if (!(classes & OFFCPU_WANT(class)))
		return false;
	s->class = class;
	s->tgid = tgid;
	*pidp = pid;
	return true;
}

/* Then the stacks (through the thread's cache sc, if any); the block starts at now. */
static __always_inline void switch_out_capture(void *ctx, struct task_struct *task,
					       struct offcpu_start *s, struct lt_scache *sc,
					       __u64 now, bool direct)
{
	if (!want_kstack)
		s->kstack = LT_NO_KSTACK;
	else if (sc)
		s->kstack = lt_kstack_get_cached(ctx, task, sc, direct);
	else
		s->kstack = lt_kstack_get(ctx);
	s->ustack = want_ustack ? lt_ustack_get_sc(ctx, sc) : LT_NO_USTACK;
	s->ts = now;
}

/* Switch-in at now: aggregate the block that started at s if it is within the limits. */
static __always_inline void switch_in(const struct offcpu_start *s, __u32 pid,
				      struct lt_stack_key *key, __u64 now)
{
	__u64 delta = now - s->ts;

	if (delta < min_block_ns || delta > max_block_ns)
		return;
	key->ustack = s->ustack;
	key->kstack = s->kstack;
	key->tgid = s->tgid;
	key->pid = pid;
	key->aux = s->class;
	lt_agg_add(key, delta / 1000);
}

/* The flavours without task storage keep starts in the pid-keyed hash. */
static __always_inline void switch_out_hash(void *ctx, bool preempt, void *prev, enum state_src src,
					    __u32 tp_state)
{
	struct offcpu_start s = {};
	__u32 pid;

	if (!switch_out_wanted(preempt, prev, src, tp_state, &s, &pid))
		return;
	switch_out_capture(ctx, NULL, &s, NULL, bpf_ktime_get_ns(), false);
	if (bpf_map_update_elem(&start, &pid, &s, BPF_ANY))
		lt_stat_inc(LT_STAT_START_FULL);
}

static __always_inline void switch_in_hash(__u32 pid, const char *comm)
{
	struct lt_stack_key key = {};
	struct offcpu_start *s;

	if (!pid || !(s = bpf_map_lookup_elem(&start, &pid)))
		return;
	bpf_probe_read_kernel_str(key.comm, sizeof(key.comm), comm);
	switch_in(s, pid, &key, bpf_ktime_get_ns());
	bpf_map_delete_elem(&start, &pid);
}

/* tp_btf: starts and stack caches in task storage. */
static __always_inline int switch_btf(void *ctx, bool preempt, struct task_struct *prev,
				      struct task_struct *next, bool direct)
{
	struct offcpu_start s = {};
	struct lt_stack_key key = {};
	struct offcpu_task *t;
	__u64 now = 0;
	__u32 pid;

	/*
	 * One timestamp serves both halves of the switch: prev's block starts
	 * when next's ends (the stack capture between is on-CPU either way).
	 */
	if (switch_out_wanted(preempt, prev, STATE_BTF, 0, &s, &pid)) {
		now = bpf_ktime_get_ns();
		t = bpf_task_storage_get(&start_task, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			t->s.class = s.class;
			t->s.tgid = s.tgid;
			switch_out_capture(ctx, prev, &t->s, &t->sc, now, direct);
		} else {
			lt_stat_inc(LT_STAT_START_FULL);
		}
	}
	pid = next->pid;
	if (!pid || !lt_ids_selected(next->tgid, pid))
		return 0;
	/*
	 * Create rather than look up, so NULL only means the storage could not
	 * be reached (its lock busy on this CPU, or no memory): count that.
	 */
	t = bpf_task_storage_get(&start_task, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		lt_stat_inc(LT_STAT_END_LOST);
		return 0;
	}
	if (!t->s.ts)
		return 0;
	/* Direct loads: next is a BTF pointer, no helper call needed. */
	*(__u64 *)&key.comm[0] = *(__u64 *)&next->comm[0];
	*(__u64 *)&key.comm[8] = *(__u64 *)&next->comm[8];
	switch_in(&t->s, pid, &key, now ?: bpf_ktime_get_ns());
	t->s.ts = 0;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switch_btf(ctx, preempt, prev, next, true);
}

/* The same before 6.2 (no bpf_rdonly_cast): stack caches checked by probe reads. */
SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_btf_pr, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switch_btf(ctx, preempt, prev, next, false);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 npid = BPF_CORE_READ(next, pid), ntgid = BPF_CORE_READ(next, tgid);

	switch_out_hash(ctx, preempt, prev, STATE_RAW, 0);
	if (lt_ids_selected(ntgid, npid))
		switch_in_hash(npid, next->comm);
	return 0;
}

/*
 * Oldest kernels: the classic tracepoint reports prev_state already folded
 * (__trace_sched_switch_state): preemption as TASK_REPORT_MAX, otherwise
 * 1 << (state index - 1), so S is 0x1 and D is 0x2, as in __state.
 */
SEC("tracepoint/sched/sched_switch")
int offcpu_switch_tp(struct trace_event_raw_sched_switch *ctx)
{
	long st = ctx->prev_state;
	bool preempt = st >= 0x100; /* TASK_REPORT_MAX and above */

	switch_out_hash(ctx, preempt, NULL, STATE_TP, preempt ? TASK_RUNNING : (__u32)st);
	switch_in_hash(ctx->next_pid, ctx->next_comm);
	return 0;
}
