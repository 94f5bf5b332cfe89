/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* latprof offcpu: what crosses between offcpu.bpf.c and user/offcpu.c. */
#ifndef LT_OFFCPU_H
#define LT_OFFCPU_H
#include "lt_types.h"
#include "waker.h"

/* Why the task left the CPU: lt_stack_key.aux for offcpu. */
enum offcpu_class {
	OFFCPU_SLEEP = 0, /* TASK_INTERRUPTIBLE (S) and idle waits (TASK_IDLE) */
	OFFCPU_BLOCKED = 1, /* TASK_UNINTERRUPTIBLE (D) */
	OFFCPU_PREEMPT = 2, /* preempted while runnable (R): run-queue wait */
};

/* Bits of the `classes` rodata selecting which classes are recorded. */
#define OFFCPU_WANT(c) (1U << (c))

/*
 * lt_stack_key.aux of offcpu: an lt_waker_aux (waker.h), whose own field is
 * the class; with --wakers it also holds the waker's id.
 */

#endif
