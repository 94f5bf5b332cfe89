/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * latprof wall: what crosses between wall.bpf.c and user/wall.c. Every
 * moment of a traced thread is charged to one state and one stack, in
 * microseconds, in the shared stack map; lt_stack_key.aux is the state.
 */
#ifndef LT_WALL_H
#define LT_WALL_H
#include "lt_types.h"
#include "waker.h"

/* Where the time went: lt_stack_key.aux's own field (an lt_waker_aux, waker.h). */
enum wall_state {
	WALL_CPU = 0, /* running: sampled at -F HZ, and the rest of a run at switch-out */
	WALL_RUNQUEUE = 1, /* runnable, waiting for a CPU: wakeup or preemption to switch-in */
	WALL_BLOCKED = 2, /* off-CPU, interruptible (S) */
	WALL_BLOCKED_D = 3, /* off-CPU, uninterruptible (D) */
};

/*
 * A traced thread (in task storage): where its accounting stands. At the
 * end, an iterator charges the threads still off-CPU up to then.
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

#endif
