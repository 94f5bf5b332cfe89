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

#endif
