// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof wall: where a thread's wall-clock time goes. Each moment of a
 * traced thread is charged once, to one state and one stack:
 *
 * - on a CPU: a cpu-clock sample (perf_event, -F HZ per CPU) charges the time
 *   since the thread's last charge to the stack it samples; at switch-out the
 *   rest of the run goes to the stack taken there;
 * - off a CPU: from switch-out to wakeup, blocked (S or D), and from wakeup
 *   (or a preemption's switch-out) to switch-in, run-queue wait; both to the
 *   stacks taken at switch-out.
 *
 * So a thread's states add up to the time it was traced, by construction.
 * Per-thread state lives in task storage, with the thread's stack cache. At
 * the start, an iterator over all tasks (wall_begin) opens the account of
 * each target thread off a CPU then; at the end, another (wall_end) charges
 * the threads still off a CPU up to then.
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
#include "wall.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 sample_ns = 10101010; /* 1 s / -F: what a first sample stands for */

/*
 * A traced thread: where its accounting stands. BPF's own (user space no
 * longer reads it: wall_begin and wall_end do the start and the end).
 */
struct wall_thread {
	__u64 acct; /* ns: the thread's time is charged up to here */
	__u64 off; /* ns: switched out at (0: on a CPU) */
	__u64 wake; /* ns: woken at, while off (0: not yet) */
	__u64 rt; /* the thread's sum_exec_runtime at its switch-out */
	__u64 ustack; /* at switch-out */
	__s32 kstack;
	__u32 state; /* at switch-out: WALL_RUNQUEUE (preempted) or WALL_BLOCKED(_D) */
	__u32 tgid;
	__u32 w_state; /* --wakers: enum lt_waker_state of w */
	char comm[LT_COMM_LEN];
	struct lt_waker w; /* --wakers: who woke it, while off */
};

/* A traced thread: its account, and its stack cache (stack_cache.bpf.h). */
struct wall_task {
	struct wall_thread t;
	struct lt_scache sc;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wall_task);
} wall_tasks SEC(".maps");

/* --wakers: each waker's stack cache (any task; none made without --wakers). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lt_scache);
} wall_wakers SEC(".maps");

/* Charge ns of state to thread t's stacks (us, rounded), as thread pid; waker: its id or 0. */
static __always_inline void charge(const struct wall_thread *t, __u32 pid, __u32 state,
				   __u64 ustack, __s32 kstack, __u64 ns, __u64 waker)
{
	struct lt_stack_key k = {};

	if (!ns)
		return;
	k.tgid = t->tgid;
	k.pid = pid;
	k.ustack = ustack;
	k.kstack = kstack;
	k.aux = lt_waker_aux(state, waker);
	k.aux2 = (__u32)waker;
	__builtin_memcpy(k.comm, t->comm, sizeof(k.comm));
	lt_agg_add(&k, (ns + 500) / 1000);
}

/*
 * The entry of task, created (of process tgid, accounting from acct) if new.
 * NULL when the storage cannot be had (no memory, or its lock busy here).
 */
static __always_inline struct wall_task *thread_get(struct task_struct *task, __u32 tgid,
						    __u64 acct)
{
	struct wall_task *w =
		bpf_task_storage_get(&wall_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!w) {
		lt_stat_inc(LT_STAT_START_FULL);
		return NULL;
	}
	if (!w->t.tgid) {
		w->t.tgid = tgid;
		w->t.acct = acct;
	}
	return w;
}

/*
 * The kernel does not always trace a switch-in (offcpu.bpf.c says when): a
 * thread met running (a switch-out, a sample) while its entry says it is
 * off a CPU came back untraced. Of the time since it switched out, it ran
 * what the scheduler says (rt, its sum_exec_runtime now, less then); the
 * rest is charged as the block it was in. Its run is charged by the caller.
 */
static __always_inline void switch_in_untraced(struct wall_thread *t, __u32 pid, __u64 now,
					       __u64 rt)
{
	__u64 away = now - t->off, ran = rt >= t->rt ? rt - t->rt : 0;

	if (ran > away)
		ran = away;
	lt_stat_inc(LT_STAT_END_UNTRACED);
	charge(t, pid, t->state, t->ustack, t->kstack, away - ran, 0);
	t->w_state = LT_WAKER_NONE;
	t->off = 0;
	t->wake = 0;
	t->acct = now - ran;
}

static __always_inline void switch_out(void *ctx, bool preempt, struct task_struct *prev, __u64 now,
				       bool direct)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = (__u32)id, tgid = id >> 32, state;
	struct wall_task *w;
	struct wall_thread *t;

	if (!pid || !lt_current_selected(tgid, pid))
		return;
	state = lt_task_state_btf(prev);
	w = thread_get(prev, tgid, now);
	if (!w)
		return;
	t = &w->t;
	if (t->off)
		switch_in_untraced(t, pid, now, prev->se.sum_exec_runtime);
	/* Direct loads: prev is a BTF pointer, no helper call needed. */
	*(__u64 *)&t->comm[0] = *(__u64 *)&prev->comm[0];
	*(__u64 *)&t->comm[8] = *(__u64 *)&prev->comm[8];
	/* Through the thread's stack cache: a thread blocks where it blocked before. */
	t->kstack = lt_want_kstack ? lt_kstack_get_cached(ctx, prev, &w->sc, direct) : LT_NO_KSTACK;
	t->ustack = lt_ustack_want(ctx, &w->sc);
	/* The run's rest since the last charge: on a CPU, where it switched out. */
	charge(t, pid, WALL_CPU, t->ustack, t->kstack, now - t->acct, 0);
	t->acct = now;
	t->w_state = LT_WAKER_NONE;
	if (state & LT_TASK_DEAD) /* its storage goes with it */
		return;
	t->off = now;
	t->rt = prev->se.sum_exec_runtime;
	/* Woken on another CPU while leaving this one (LT_TASK_WAKING): runnable now. */
	if (preempt || state == LT_TASK_RUNNING || (state & LT_TASK_WAKING)) {
		t->state = WALL_RUNQUEUE;
		t->wake = now;
	} else {
		t->state = LT_TASK_STATE_D(state) ? WALL_BLOCKED_D : WALL_BLOCKED;
		t->wake = 0;
	}
}

/*
 * The block of thread t (tid pid) that began at t->off, up to now: blocked
 * until woken, then waiting for a CPU; preempted: all run-queue. --wakers
 * keys the blocked part by its waker; a waker the filters do not choose is
 * left out of the key, not the time (states add up).
 */
static __always_inline void block_end(struct wall_thread *t, __u32 pid, __u64 now)
{
	__u64 off = t->off, wake = t->wake;
	__s64 waker;

	/* First, so that the end-of-trace iterator and a switch-in do not both charge it. */
	t->off = 0;
	t->wake = 0;
	if (!off || off > now)
		return;
	waker = lt_waker_take(&t->w, &t->w_state);
	if (t->state != WALL_RUNQUEUE)
		charge(t, pid, t->state, t->ustack, t->kstack, (wake ?: now) - off,
		       waker > 0 ? waker : 0);
	charge(t, pid, WALL_RUNQUEUE, t->ustack, t->kstack, wake ? now - wake : 0, 0);
	t->acct = now;
}

static __always_inline void switch_in(struct task_struct *next, __u64 now)
{
	__u32 pid = next->pid;
	struct wall_task *w;

	if (!pid || !lt_ids_selected(next->tgid, pid))
		return;
	w = thread_get(next, next->tgid, now);
	if (w && w->t.off)
		block_end(&w->t, pid, now);
}

static __always_inline int wall_switch(void *ctx, bool preempt, struct task_struct *prev,
				       struct task_struct *next, bool direct)
{
	__u64 now = bpf_ktime_get_ns();

	switch_out(ctx, preempt, prev, now, direct);
	switch_in(next, now);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(wall_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return wall_switch(ctx, preempt, prev, next, true);
}

/* The same before 6.2 (no bpf_rdonly_cast): stack caches checked by probe reads. */
SEC("tp_btf/sched_switch")
int BPF_PROG(wall_switch_btf_pr, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return wall_switch(ctx, preempt, prev, next, false);
}

/* Woken: the block ends, the run-queue wait begins. */
static __always_inline int waking(void *ctx, struct task_struct *p, bool direct)
{
	__u32 pid = p->pid;
	struct wall_thread *t;
	struct wall_task *w;
	struct lt_scache *wsc;

	if (!pid || !lt_ids_selected(p->tgid, pid))
		return 0;
	w = bpf_task_storage_get(&wall_tasks, p, 0, 0);
	t = w ? &w->t : NULL;
	if (!t || !t->off || t->wake)
		return 0;
	t->wake = bpf_ktime_get_ns();
	/* --wakers: who ended the block, through the waker's own stack cache. */
	if (lt_wakers_on && t->state != WALL_RUNQUEUE) {
		wsc = bpf_task_storage_get(&wall_wakers, bpf_get_current_task_btf(), 0,
					   BPF_LOCAL_STORAGE_GET_F_CREATE);
		t->w_state = lt_waker_note(ctx, &t->w, wsc, direct);
	}
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(wall_waking_btf, struct task_struct *p)
{
	return waking(ctx, p, true);
}

/* The same before 6.2: the wakers' stack caches checked by probe reads. */
SEC("tp_btf/sched_waking")
int BPF_PROG(wall_waking_btf_pr, struct task_struct *p)
{
	return waking(ctx, p, false);
}

/* On a CPU: the time since the thread's last charge, to the stack sampled now. */
SEC("perf_event")
int wall_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now;
	__u32 pid = (__u32)id, tgid = id >> 32;
	struct task_struct *task = bpf_get_current_task_btf();
	struct wall_thread *t;
	struct wall_task *w;
	__s32 kstack;
	__u64 cs;

	if (!pid || !lt_current_selected(tgid, pid))
		return 0;
	now = bpf_ktime_get_ns();
	w = thread_get(task, tgid, now - sample_ns);
	t = w ? &w->t : NULL;
	/* Off a CPU by its entry: its switch-out's charges settle it (switch_in_untraced). */
	if (!t || t->off)
		return 0;
	*(__u64 *)&t->comm[0] = *(__u64 *)&task->comm[0];
	*(__u64 *)&t->comm[8] = *(__u64 *)&task->comm[8];
	/* Sampled in user mode: no kernel stack to take. */
	/*
	 * The sampled registers' cs, by the UAPI layout (bpf_user_pt_regs_t:
	 * word 17), not CO-RE: 6.18's kernel pt_regs has a 2-byte cs inside a
	 * union, 6.1's an unsigned long, and this context allows word loads.
	 */
	cs = *(volatile __u64 *)((char *)ctx + 17 * 8);
	kstack = (cs & 3) == 3 ? LT_NO_KSTACK : lt_kstack_want(ctx);
	charge(t, pid, WALL_CPU, lt_ustack_want(ctx, NULL), kstack, now - t->acct, 0);
	t->acct = now;
	return 0;
}

/* Does task pass the target filters (comm too; a cgroup filter: see wall_begin)? */
static __always_inline bool task_selected(struct task_struct *task)
{
	if (!task->pid || !lt_ids_selected(task->tgid, task->pid))
		return false;
	if (lt_targ_comm_on)
		for (int i = 0; i < LT_COMM_LEN; i++) {
			if (task->comm[i] != lt_targ_comm[i])
				return false;
			if (!task->comm[i])
				break;
		}
	return true;
}

/*
 * The start of the trace (user space reads this iterator once, after the
 * switch programs attached): each target thread is accounted from now. One
 * off a CPU is in a block (or the run queue) from now, charged when it
 * switches in or at the end, like any other. Its stacks are not known: the
 * stack map takes only the current task's, so the block is charged to the
 * thread with no frames, and its kind comes from its state alone. A thread
 * with an entry already met a program first and is left as it is. Under a
 * cgroup filter, which the kernel can test here only from 6.5 on, no thread
 * is accounted before it is met.
 */
SEC("iter/task")
int wall_begin(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct wall_thread *t;
	struct wall_task *w;
	__u64 now;
	__u32 state;

	if (!task || lt_targ_cgroup_on || !task_selected(task))
		return 0;
	w = bpf_task_storage_get(&wall_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!w || w->t.tgid)
		return 0;
	t = &w->t;
	now = bpf_ktime_get_ns();
	t->tgid = task->tgid;
	t->acct = now;
	if (task->on_cpu)
		return 0;
	state = lt_task_state_btf(task);
	if (state & LT_TASK_DEAD)
		return 0;
	__builtin_memcpy(t->comm, task->comm, sizeof(t->comm));
	t->kstack = LT_NO_KSTACK;
	t->ustack = LT_NO_USTACK;
	t->rt = task->se.sum_exec_runtime;
	t->w_state = LT_WAKER_NONE;
	if (state == LT_TASK_RUNNING || (state & LT_TASK_WAKING)) {
		t->state = WALL_RUNQUEUE;
		t->wake = now;
	} else {
		t->state = LT_TASK_STATE_D(state) ? WALL_BLOCKED_D : WALL_BLOCKED;
	}
	t->off = now;
	return 0;
}

/*
 * The end of the trace (user space reads this iterator once, after the
 * samples stopped): each thread still off a CPU is charged up to now, so
 * that every thread's states add up to the time it was traced.
 */
SEC("iter/task")
int wall_end(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct wall_task *w;

	if (!task)
		return 0;
	w = bpf_task_storage_get(&wall_tasks, task, 0, 0);
	if (w && w->t.off)
		block_end(&w->t, task->pid, bpf_ktime_get_ns());
	return 0;
}
