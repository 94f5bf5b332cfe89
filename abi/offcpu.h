/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* latprof offcpu: what crosses between offcpu.bpf.c and user/offcpu.c. */
#ifndef LT_OFFCPU_H
#define LT_OFFCPU_H
#include "lt_types.h"
#include "stack_agg.h"

/* Why the task left the CPU: lt_stack_key.aux for offcpu. */
enum offcpu_class {
	OFFCPU_SLEEP = 0, /* TASK_INTERRUPTIBLE (S) and idle waits (TASK_IDLE) */
	OFFCPU_BLOCKED = 1, /* TASK_UNINTERRUPTIBLE (D) */
	OFFCPU_PREEMPT = 2, /* preempted while runnable (R): run-queue wait */
};

/* Bits of the `classes` rodata selecting which classes are recorded. */
#define OFFCPU_WANT(c) (1U << (c))

/*
 * lt_stack_key.aux of offcpu: the class, and with --wakers the high bits of
 * the waker's id (its low 32 bits are aux2). Id 0: no waker was seen.
 */
#define OFFCPU_AUX_FIELDS(X)                   \
	X(class, 0, 4) /* enum offcpu_class */ \
	X(waker_hi, 8, 24) /* --wakers: bits 32..55 of the waker's id */
LT_AUX_DEFINE(offcpu_aux, OFFCPU_AUX_FIELDS)

/*
 * --wakers: who woke a thread, taken at sched_waking in the waker's context.
 * The offcpu_wakers map holds each one by its id (a hash of the whole
 * struct, 56 bits), which the blocks it ended carry in their key.
 */
struct offcpu_waker {
	__u64 ustack; /* LT_NO_USTACK when none */
	__s32 kstack; /* LT_NO_KSTACK when none */
	__u32 tgid, pid;
	char comm[LT_COMM_LEN];
	__u32 pad; /* zero: the id hashes whole words */
};

#define OFFCPU_WAKER_ID_BITS 56

#endif
