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
#include "waker.bpf.h"
#include "offcpu.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 classes = OFFCPU_WANT(OFFCPU_SLEEP) | OFFCPU_WANT(OFFCPU_BLOCKED);
const volatile __u64 min_block_ns = 1000;
const volatile __u64 max_block_ns = ~0ULL;

struct offcpu_start {
	__u64 ts;
	__u64 rt; /* the task's sum_exec_runtime at ts */
	__u64 ustack;
	__s32 kstack;
	__u32 class;
	__u32 tgid;
	__u32 pad;
};

/*
 * Per thread with tp_btf: the block's start and the thread's stack cache;
 * with --wakers, who woke it (w), and a second cache for its stacks when it
 * is the waker (wsc: a waking's stacks repeat apart from its blocking ones).
 */
struct offcpu_task {
	struct offcpu_start s;
	struct lt_scache sc;
	struct lt_waker w;
	__u32 w_state; /* enum lt_waker_state */
	struct lt_scache wsc;
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
	if (preempt || state == LT_TASK_RUNNING)
		return OFFCPU_PREEMPT;
	/* TASK_IDLE (D | NOLOAD) is an idle wait, not I/O: count it as sleep. */
	if (LT_TASK_STATE_D(state))
		return OFFCPU_BLOCKED;
	return OFFCPU_SLEEP;
}

enum state_src { STATE_BTF, STATE_RAW, STATE_TP };

/* Is the task switching out (current) a target? The cheapest test first. */
static __always_inline bool switch_out_selected(__u32 *tgidp, __u32 *pidp)
{
	__u64 id = bpf_get_current_pid_tgid();

	*pidp = (__u32)id;
	*tgidp = id >> 32;
	return *pidp && lt_current_selected(*tgidp, *pidp);
}

/* The class of the block that starts, or -1 when it is not timed. */
static __always_inline int switch_out_class(bool preempt, void *prev, enum state_src src,
					    __u32 tp_state)
{
	__u32 class, state;

	state = src == STATE_BTF ? lt_task_state_btf(prev) :
		src == STATE_RAW ? lt_task_state(prev) :
				   tp_state;
	if (state & LT_TASK_DEAD)
		return -1;
	class = classify(preempt, state);
	return classes & OFFCPU_WANT(class) ? (int)class : -1;
}

/* Then the stacks (through the thread's cache sc, if any); the block starts at now. */
static __always_inline void switch_out_capture(void *ctx, struct task_struct *task,
					       struct offcpu_start *s, struct lt_scache *sc,
					       __u64 now, bool direct)
{
	if (!lt_want_kstack)
		s->kstack = LT_NO_KSTACK;
	else if (sc)
		s->kstack = lt_kstack_get_cached(ctx, task, sc, direct);
	else
		s->kstack = lt_kstack_get(ctx);
	s->ustack = lt_ustack_want(ctx, sc);
	s->ts = now;
}

/*
 * Aggregate the block that started at s and lasted delta ns, if within the
 * limits; waker: the id of who ended it (--wakers), 0 for none.
 */
static __always_inline void block_end(const struct offcpu_start *s, __u32 pid,
				      struct lt_stack_key *key, __u64 delta, __u64 waker)
{
	if (delta < min_block_ns || delta > max_block_ns)
		return;
	key->ustack = s->ustack;
	key->kstack = s->kstack;
	key->tgid = s->tgid;
	key->pid = pid;
	key->aux = lt_waker_aux(s->class, waker);
	key->aux2 = (__u32)waker;
	lt_agg_add(key, delta / 1000);
}

/* Switch-in at now: the block that started at s ends. */
static __always_inline void switch_in(const struct offcpu_start *s, __u32 pid,
				      struct lt_stack_key *key, __u64 now)
{
	block_end(s, pid, key, now - s->ts, 0);
}

/*
 * The kernel does not always trace a switch-in: on 6.18 a thread that
 * blocked and left its CPU idle was at times resumed by the idle task with no
 * sched_switch (ftrace alone, without BPF, shows its two switch-outs in a
 * row). Its block then has a start and no end. At the thread's next
 * switch-out (now, having run rt ns in all) it is timed: the time since it
 * switched out less the time it has run since, by the scheduler's own
 * account; counted, and said under -v.
 */
static __always_inline void switch_in_untraced(const struct offcpu_start *s, __u32 pid,
					       struct lt_stack_key *key, __u64 now, __u64 rt,
					       __u64 waker)
{
	__u64 wall = now - s->ts, ran = rt - s->rt;

	if (rt < s->rt || ran >= wall)
		return;
	lt_stat_inc(LT_STAT_END_UNTRACED);
	block_end(s, pid, key, wall - ran, waker);
}

/* The flavours without task storage keep starts in the pid-keyed hash. */
static __always_inline void switch_out_hash(void *ctx, bool preempt, void *prev, enum state_src src,
					    __u32 tp_state)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct offcpu_start s = {}, *old;
	__u32 pid, tgid;
	__u64 now, rt;
	int class;

	if (!switch_out_selected(&tgid, &pid))
		return;
	now = bpf_ktime_get_ns();
	rt = BPF_CORE_READ(cur, se.sum_exec_runtime);
	old = bpf_map_lookup_elem(&start, &pid);
	if (old) {
		struct lt_stack_key key = {};

		bpf_get_current_comm(key.comm, sizeof(key.comm));
		switch_in_untraced(old, pid, &key, now, rt, 0);
		bpf_map_delete_elem(&start, &pid);
	}
	class = switch_out_class(preempt, prev, src, tp_state);
	if (class < 0)
		return;
	s.class = class;
	s.tgid = tgid;
	s.rt = rt;
	switch_out_capture(ctx, NULL, &s, NULL, now, false);
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
	struct lt_stack_key key = {};
	struct offcpu_task *t;
	__u64 now = 0;
	__u32 pid, tgid;
	__s64 w;
	int class;

	/*
	 * One timestamp serves both halves of the switch: prev's block starts
	 * when next's ends (the stack capture between is on-CPU either way).
	 */
	if (switch_out_selected(&tgid, &pid)) {
		class = switch_out_class(preempt, prev, STATE_BTF, 0);
		now = bpf_ktime_get_ns();
		t = bpf_task_storage_get(&start_task, prev, 0,
					 class >= 0 ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
		if (t && t->s.ts) {
			struct lt_stack_key k = {};

			*(__u64 *)&k.comm[0] = *(__u64 *)&prev->comm[0];
			*(__u64 *)&k.comm[8] = *(__u64 *)&prev->comm[8];
			__s64 w = lt_waker_take(&t->w, &t->w_state);

			if (w >= 0)
				switch_in_untraced(&t->s, pid, &k, now, prev->se.sum_exec_runtime,
						   w);
			t->s.ts = 0;
		}
		if (class >= 0 && t) {
			t->s.class = class;
			t->s.tgid = tgid;
			t->s.rt = prev->se.sum_exec_runtime;
			switch_out_capture(ctx, prev, &t->s, &t->sc, now, direct);
		} else if (class >= 0) {
			lt_stat_inc(LT_STAT_START_FULL);
		}
	}
	pid = next->pid;
	if (!pid || !lt_ids_selected(next->tgid, pid))
		return 0;
	/*
	 * NULL: the storage could not be reached (its lock busy on this CPU: a
	 * task exiting here frees its storage under it). The block's start
	 * stays, and the thread's next switch-out times it as a switch-in not
	 * seen (switch_in_untraced()): it is late, not lost.
	 */
	t = bpf_task_storage_get(&start_task, next, 0, 0);
	if (!t)
		return 0;
	if (!t->s.ts)
		return 0;
	/* Direct loads: next is a BTF pointer, no helper call needed. */
	*(__u64 *)&key.comm[0] = *(__u64 *)&next->comm[0];
	*(__u64 *)&key.comm[8] = *(__u64 *)&next->comm[8];
	w = lt_waker_take(&t->w, &t->w_state);
	if (w >= 0) {
		now = now ?: bpf_ktime_get_ns();
		block_end(&t->s, pid, &key, now - t->s.ts, w);
	}
	t->s.ts = 0;
	return 0;
}

/*
 * --wakers: p is being woken. If p is a target in a timed block, note its
 * waker, through the waker's own second stack cache.
 */
static __always_inline int waking(void *ctx, struct task_struct *p, bool direct)
{
	struct offcpu_task *t, *wt;

	if (!p->pid || !lt_ids_selected(p->tgid, p->pid))
		return 0;
	t = bpf_task_storage_get(&start_task, p, 0, 0);
	if (!t || !t->s.ts)
		return 0;
	wt = bpf_task_storage_get(&start_task, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	/* No storage for the waker (memory, or its lock busy): the block has no waker. */
	if (wt)
		t->w_state = lt_waker_note(ctx, &t->w, &wt->wsc, direct);
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(offcpu_waking_btf, struct task_struct *p)
{
	return waking(ctx, p, true);
}

SEC("tp_btf/sched_waking")
int BPF_PROG(offcpu_waking_btf_pr, struct task_struct *p)
{
	return waking(ctx, p, false);
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

	switch_out_hash(ctx, preempt, NULL, STATE_TP, preempt ? LT_TASK_RUNNING : (__u32)st);
	switch_in_hash(ctx->next_pid, ctx->next_comm);
	return 0;
}
