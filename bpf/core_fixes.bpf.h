/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every kernel-version difference latprof's BPF code depends on lives here,
 * as a CO-RE shim that names the commit that made it necessary.
 */
#ifndef LT_CORE_FIXES_BPF_H
#define LT_CORE_FIXES_BPF_H
#include <bpf/bpf_core_read.h>

/*
 * Differences that no CO-RE shim can bridge, because they decide whether a
 * program loads at all, are handled by program variants chosen by trial
 * load; they are listed here all the same:
 * - Commit a35b9af4ec2c ("bpf: Add a kfunc for generic type cast", v6.2)
 *   added bpf_rdonly_cast. The stack cache (stack_cache.bpf.h) reads kernel
 *   stack words with it; offcpu_switch_btf_pr reads them with
 *   bpf_probe_read_kernel on older kernels (Debian's 6.1: make kmatrix).
 * - Task storage helpers in uprobe and tracepoint programs: where a kernel
 *   refuses them, alloc reloads without its stack cache (-v says so).
 */

/*
 * Commit 2f064a59a11f ("sched: Change task_struct::state", v5.14) renamed
 * task_struct::state to __state and made it unsigned int.
 */
struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

struct task_struct___x {
	unsigned int __state;
} __attribute__((preserve_access_index));

/* Task states, as include/linux/sched.h numbers them (macros: not in BTF). */
#define LT_TASK_RUNNING 0x0000
#define LT_TASK_UNINTERRUPTIBLE 0x0002
#define LT_TASK_DEAD 0x0080
#define LT_TASK_WAKING 0x0200
#define LT_TASK_NOLOAD 0x0400

/* A D wait that is not an idle one (TASK_IDLE is D | NOLOAD: a sleep). */
#define LT_TASK_STATE_D(st) (((st)&LT_TASK_UNINTERRUPTIBLE) && !((st)&LT_TASK_NOLOAD))

static __always_inline __u32 lt_task_state(void *task)
{
	struct task_struct___x *t = task;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)task, state);
}

/* The same for a BTF-typed task pointer (tp_btf): a direct, relocated load. */
static __always_inline __u32 lt_task_state_btf(struct task_struct *task)
{
	struct task_struct___x *t = (void *)task;

	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return ((struct task_struct___o *)(void *)task)->state;
}

/*
 * Commit f3fa33acca9f ("block: remove the ->rq_disk field in struct
 * request", v5.17): a request's disk is rq->q->disk since (that backpointer
 * came with d152c682f03c, v5.15).
 */
struct request___o {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *lt_rq_disk(struct request *rq)
{
	struct request___o *o = (void *)rq;

	if (bpf_core_field_exists(o->rq_disk))
		return BPF_CORE_READ(o, rq_disk);
	return BPF_CORE_READ(rq, q, disk);
}

/*
 * Commit a54895fa057c ("block: remove the request_queue to argument request
 * based tracepoints", v5.11): block_rq_insert and block_rq_issue took
 * (q, rq) before, (rq) since. User space reads the tracepoint's BTF
 * prototype and sets lt_rq_arg to the request's argument index.
 */
const volatile __u32 lt_rq_arg = 0;

#endif
