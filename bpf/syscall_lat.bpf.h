/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Syscall latency, shared by the tools that time system calls (io
 * --syscalls, tcp --wait): the two ways of attaching (fentry/fexit on each
 * syscall function, or raw_syscalls:sys_enter/sys_exit) and the per-thread
 * record of a call in flight with its user stack. A tool classifies the call
 * and names its object (file, peer); this header keeps the rest in one place.
 */
#ifndef LT_SYSCALL_LAT_BPF_H
#define LT_SYSCALL_LAT_BPF_H
#include <bpf/bpf_helpers.h>
#include "stack_agg.bpf.h"
#include "ustack.bpf.h"

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
 * tool): its user stack (if the trace takes user stacks) and the time. A full map is
 * counted.
 */
static __always_inline void lt_call_begin(void *ctx, struct lt_call *c)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();

	c->ustack = lt_ustack_want(ctx, NULL);
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

/*
 * Is the current task in a 32-bit (ia32) system call? raw_syscalls fire for
 * those too, numbered from another table (the syscalls:* events skip them).
 * x32 calls carry bit 30 in their number and match no x86_64 one.
 */
static __always_inline bool lt_syscall_compat(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (bpf_core_field_exists(task->thread_info.status))
		return task->thread_info.status & 0x0002; /* TS_COMPAT */
	return false;
}

/*
 * raw_syscalls:sys_enter and sys_exit, for kernels without BPF trampolines,
 * as tp_btf (PREFIX_enter_btf, PREFIX_exit_btf) and as raw_tp
 * (PREFIX_enter_raw, PREFIX_exit_raw), the tool loading one pair. ENTER runs
 * with op (OPFN of the syscall number; < 0 for a call the tool does not
 * time, and then nothing runs) and args (the first four arguments: di, si,
 * dx, r10); EXIT with ret.
 *
 * Two attach points for all the calls timed, where the syscalls:sys_enter_NAME
 * and sys_exit_NAME events took two per call: each of those is a perf event
 * whose close waits for grace periods under one mutex, about 40 ms apiece
 * (26 of them held io's exit for over a second); a raw tracepoint link is
 * released without waiting. Either way every system call of every task
 * takes the slow syscall-entry path while attached. Here a program also runs
 * for every call: it maps the number and returns (tp_btf reads the exit's
 * number by a direct load; docs/PERFORMANCE.md has the cost).
 */
#define LT_SYSCALL_RAW(prefix, opfn, enter, exit)                                              \
	static __always_inline void prefix##_on_enter(void *ctx, int op, const __u64 *args)    \
	{                                                                                      \
		enter;                                                                         \
	}                                                                                      \
	static __always_inline void prefix##_on_exit(long ret)                                 \
	{                                                                                      \
		exit;                                                                          \
	}                                                                                      \
	SEC("tp_btf/sys_enter")                                                                \
	int BPF_PROG(prefix##_enter_btf, struct pt_regs *regs, long id)                        \
	{                                                                                      \
		int op = opfn(id);                                                             \
                                                                                               \
		if (op >= 0 && !lt_syscall_compat()) {                                         \
			__u64 args[4] = { regs->di, regs->si, regs->dx, regs->r10 };           \
                                                                                               \
			prefix##_on_enter(ctx, op, args);                                      \
		}                                                                              \
		return 0;                                                                      \
	}                                                                                      \
	SEC("tp_btf/sys_exit")                                                                 \
	int BPF_PROG(prefix##_exit_btf, struct pt_regs *regs, long ret)                        \
	{                                                                                      \
		if (opfn(regs->orig_ax) >= 0)                                                  \
			prefix##_on_exit(ret);                                                 \
		return 0;                                                                      \
	}                                                                                      \
	SEC("raw_tp/sys_enter")                                                                \
	int prefix##_enter_raw(struct bpf_raw_tracepoint_args *ctx)                            \
	{                                                                                      \
		struct pt_regs *regs = (struct pt_regs *)ctx->args[0];                         \
		int op = opfn((long)ctx->args[1]);                                             \
                                                                                               \
		if (op >= 0 && !lt_syscall_compat()) {                                         \
			__u64 args[4] = { BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si),    \
					  BPF_CORE_READ(regs, dx), BPF_CORE_READ(regs, r10) }; \
                                                                                               \
			prefix##_on_enter(ctx, op, args);                                      \
		}                                                                              \
		return 0;                                                                      \
	}                                                                                      \
	SEC("raw_tp/sys_exit")                                                                 \
	int prefix##_exit_raw(struct bpf_raw_tracepoint_args *ctx)                             \
	{                                                                                      \
		struct pt_regs *regs = (struct pt_regs *)ctx->args[0];                         \
                                                                                               \
		if (opfn((long)BPF_CORE_READ(regs, orig_ax)) >= 0)                             \
			prefix##_on_exit((long)ctx->args[1]);                                  \
		return 0;                                                                      \
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
