/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Waker stacks (offcpu --wakers, wall --wakers): who woke a thread, taken at
 * sched_waking in the waker's context (bpf/waker.bpf.h). The lt_wakers map
 * holds each waker by its id, a hash of the whole struct; the samples of the
 * blocks it ended carry the id in their key: its low 32 bits in aux2, the
 * rest in aux's waker_hi field (lt_waker_aux), under the tool's own 8 bits.
 */
#ifndef LT_WAKER_H
#define LT_WAKER_H
#include "lt_types.h"
#include "stack_agg.h"

struct lt_waker {
	__u64 ustack; /* LT_NO_USTACK when none */
	__s32 kstack; /* LT_NO_KSTACK when none */
	__u32 tgid, pid;
	char comm[LT_COMM_LEN];
	__u32 pad; /* zero: the id hashes whole words */
};

#define LT_WAKER_ID_BITS 56

/* lt_stack_key.aux of a tool with wakers: its own 8 bits, and the id's high bits. */
#define LT_WAKER_AUX_FIELDS(X)                                      \
	X(own, 0, 8) /* the tool's: offcpu's class, wall's state */ \
	X(waker_hi, 8, 24) /* bits 32..55 of the waker's id */
LT_AUX_DEFINE(lt_waker_aux, LT_WAKER_AUX_FIELDS)

#endif
