/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Syscall latency, shared by the tools that time system calls (io
 * --syscalls, tcp --wait): the raw records of the syscalls:sys_enter_* and
 * sys_exit_* tracepoints, and the per-thread record of a call in flight
 * with its user stack. A tool classifies the call and names its object
 * (file, peer); this header keeps the rest in one place.
 */
#ifndef LT_SYSCALL_LAT_BPF_H
#define LT_SYSCALL_LAT_BPF_H
#include <bpf/bpf_helpers.h>
#include "stack_agg.bpf.h"
#include "ustack.bpf.h"

/* The raw layout of syscalls:sys_enter_* and sys_exit_* records. */
struct lt_sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct lt_sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* A syscall in flight, by thread. */
struct lt_call {
	__u64 ts;
	__u64 ustack;
	__s64 offset; /* the call's file offset, -1 when it has none */
	__u32 op; /* the tool's operation */
	__u32 obj; /* the tool's object id: a file, a peer; 0 none */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* threads inside a timed syscall at once */
	__type(key, __u32);
	__type(value, struct lt_call);
} lt_calls SEC(".maps");

/*
 * Start timing the current thread's call c (op, obj, offset set by the
 * tool): its user stack (when want_ustack) and the time. A full map is
 * counted.
 */
static __always_inline void lt_call_begin(void *ctx, struct lt_call *c, bool want_ustack)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();

	c->ustack = want_ustack ? lt_ustack_get(ctx) : LT_NO_USTACK;
	c->ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&lt_calls, &pid, c, BPF_ANY))
		lt_stat_inc(LT_STAT_START_FULL);
}

/* The current thread's call in flight, or NULL; lt_call_end() forgets it. */
static __always_inline struct lt_call *lt_call_get(void)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&lt_calls, &pid);
}

static __always_inline void lt_call_end(void)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&lt_calls, &pid);
}

/*
 * fentry/fexit on the syscall function __x64_sys_NAME, for kernels with BPF
 * trampolines: programs PREFIX_enter_NAME, running ENTER with regs (the
 * user registers the syscall received: args in di, si, dx, r10, r8, r9), and
 * PREFIX_exit_NAME, running EXIT with ret. Unlike the syscalls tracepoints,
 * whose enabling sends every system call of every task through the slow
 * syscall-entry path, they cost nothing to the calls they do not time.
 */
#define LT_SYSCALL_FENTRY(prefix, name, enter, exit)                       \
	SEC("fentry/__x64_sys_" #name)                                     \
	int BPF_PROG(prefix##_enter_##name, struct pt_regs *regs)          \
	{                                                                  \
		enter;                                                     \
		return 0;                                                  \
	}                                                                  \
	SEC("fexit/__x64_sys_" #name)                                      \
	int BPF_PROG(prefix##_exit_##name, struct pt_regs *regs, long ret) \
	{                                                                  \
		exit;                                                      \
		return 0;                                                  \
	}

/* The key of a finished call c of the current thread, for lt_agg_add(). */
static __always_inline void lt_call_key(const struct lt_call *c, struct lt_stack_key *k, __u32 aux)
{
	__u64 id = bpf_get_current_pid_tgid();

	k->tgid = id >> 32;
	k->pid = (__u32)id;
	k->ustack = c->ustack;
	k->kstack = LT_NO_KSTACK;
	k->aux = aux;
	k->aux2 = c->obj;
	bpf_get_current_comm(k->comm, sizeof(k->comm));
}

#endif
