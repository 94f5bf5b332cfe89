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
 * Per-thread state lives in a tid-keyed hash, which user space reads at the
 * end to charge the threads still off-CPU up to then.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "target.bpf.h"
#include "stack_agg.bpf.h"
#define LT_SC_TASK /* the threads' stack caches, in task storage (stack_cache.bpf.h) */
#include "ustack.bpf.h"
#include "stack_cache.bpf.h"
#include "waker.bpf.h"
#include "wall.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 sample_ns = 10101010; /* 1 s / -F: what a first sample stands for */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* traced threads at once */
	__type(key, __u32);
	__type(value, struct wall_thread);
} wall_threads SEC(".maps");

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

/* A new thread entry, accounting from acct (out of line: the common path only looks up). */
static __noinline struct wall_thread *thread_new(__u32 pid, __u32 tgid, __u64 acct)
{
	struct wall_thread n = { .acct = acct, .tgid = tgid };
	struct wall_thread *t;

	/* A racing creator wins; a full map fails both. */
	bpf_map_update_elem(&wall_threads, &pid, &n, BPF_NOEXIST);
	t = bpf_map_lookup_elem(&wall_threads, &pid);
	if (!t)
		lt_stat_inc(LT_STAT_START_FULL);
	return t;
}

/* The thread entry of pid, created (accounting from acct) if new. */
static __always_inline struct wall_thread *thread_get(__u32 pid, __u32 tgid, __u64 acct)
{
	struct wall_thread *t = bpf_map_lookup_elem(&wall_threads, &pid);

	return t ?: thread_new(pid, tgid, acct);
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
	struct lt_scache *sc;
	struct wall_thread *t;

	if (!pid || !lt_current_selected(tgid, pid))
		return;
	state = lt_task_state_btf(prev);
	t = thread_get(pid, tgid, now);
	if (!t)
		return;
	if (t->off)
		switch_in_untraced(t, pid, now, prev->se.sum_exec_runtime);
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	/* Through the thread's stack cache: a thread blocks where it blocked before. */
	sc = lt_sc_task_get();
	if (!lt_want_kstack)
		t->kstack = LT_NO_KSTACK;
	else if (sc)
		t->kstack = lt_kstack_get_cached(ctx, prev, sc, direct);
	else
		t->kstack = lt_kstack_get(ctx);
	t->ustack = lt_ustack_want(ctx, sc);
	/* The run's rest since the last charge: on a CPU, where it switched out. */
	charge(t, pid, WALL_CPU, t->ustack, t->kstack, now - t->acct, 0);
	t->acct = now;
	if (state & LT_TASK_DEAD) {
		bpf_map_delete_elem(&wall_threads, &pid);
		return;
	}
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
	t->w_state = LT_WAKER_NONE;
}

static __always_inline void switch_in(struct task_struct *next, __u64 now)
{
	__u32 pid = next->pid;
	struct wall_thread *t;
	__s64 waker;

	if (!pid || !lt_ids_selected(next->tgid, pid))
		return;
	t = thread_get(pid, next->tgid, now);
	if (!t || !t->off)
		return;
	/*
	 * Blocked until woken, then waiting for a CPU; preempted: all run-queue.
	 * --wakers keys the blocked part by its waker; a waker the filters do
	 * not choose is left out of the key, not the time (states add up).
	 */
	waker = lt_waker_take(&t->w, &t->w_state);
	if (t->state != WALL_RUNQUEUE)
		charge(t, pid, t->state, t->ustack, t->kstack, (t->wake ?: now) - t->off,
		       waker > 0 ? waker : 0);
	charge(t, pid, WALL_RUNQUEUE, t->ustack, t->kstack, t->wake ? now - t->wake : 0, 0);
	t->off = 0;
	t->wake = 0;
	t->acct = now;
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
SEC("tp_btf/sched_waking")
int BPF_PROG(wall_waking, struct task_struct *p)
{
	__u32 pid = p->pid;
	struct wall_thread *t;

	if (!pid || !lt_ids_selected(p->tgid, pid))
		return 0;
	t = bpf_map_lookup_elem(&wall_threads, &pid);
	if (!t || !t->off || t->wake)
		return 0;
	t->wake = bpf_ktime_get_ns();
	/* --wakers: who ended the block (no stack cache: wall keeps none). */
	if (lt_wakers_on && t->state != WALL_RUNQUEUE)
		t->w_state = lt_waker_note(ctx, &t->w, NULL, false);
	return 0;
}

/* On a CPU: the time since the thread's last charge, to the stack sampled now. */
SEC("perf_event")
int wall_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now;
	__u32 pid = (__u32)id, tgid = id >> 32;
	struct wall_thread *t;
	__s32 kstack;
	__u64 cs;

	if (!pid || !lt_current_selected(tgid, pid))
		return 0;
	now = bpf_ktime_get_ns();
	t = thread_get(pid, tgid, now - sample_ns);
	/* Off a CPU by its entry: its switch-out's charges settle it (switch_in_untraced). */
	if (!t || t->off)
		return 0;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
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
