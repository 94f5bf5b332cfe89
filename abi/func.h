/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * latprof func: what crosses between func.bpf.c and user/func.c. Each probe
 * (a function's entry and return) carries its index in the probe table as
 * its BPF cookie; a call's time, in ns, is aggregated by the caller's stack
 * with lt_stack_key.aux = that index, which user space names as the leaf
 * frame.
 */
#ifndef LT_FUNC_H
#define LT_FUNC_H
#include "lt_types.h"

#define FUNC_MAX_DEPTH 32 /* nested calls of probed functions timed per thread */
#define FUNC_MAX_PROBES 4096 /* functions one trace probes */

/* One call in progress: pushed at entry, popped at its return. */
struct func_frame {
	__u64 ts; /* ns at entry */
	__u64 sp; /* the stack pointer at entry: where the return address is */
	__u32 probe; /* index in the probe table */
	__u32 pad;
};

/* A thread's calls in progress, innermost last (a tid-keyed hash). */
struct func_thread {
	__u32 depth;
	__u32 tgid;
	struct func_frame f[FUNC_MAX_DEPTH];
};

#define FUNC_ARG_LEN 64 /* --arg: bytes of a string argument kept */
#define FUNC_MAX_ARGS 4096 /* --arg: distinct values kept */

/* --arg: a USDT argument's value, by its id (lt_stack_key.aux2). */
struct func_arg {
	char s[FUNC_ARG_LEN]; /* a string, NUL-terminated (truncated) */
	__s64 v; /* an integer */
	__u32 is_str;
	__u32 pad;
};

/* --span: a start seen on a thread, by (thread, span). */
struct func_span_key {
	__u32 tid;
	__u32 span;
};

struct func_span_start {
	__u64 ts;
	__u32 arg; /* --arg's id at the start, or 0 */
	__u32 pad;
};

enum func_stat {
	FUNC_STAT_CALLS, /* entries of probed functions by the targets */
	FUNC_STAT_DEEP, /* entries beyond FUNC_MAX_DEPTH nested calls: not timed */
	FUNC_STAT_NO_THREAD, /* entries with no room for the thread's state: not timed */
	FUNC_STAT_ABANDONED, /* calls that never returned (longjmp, exceptions): dropped */
	FUNC_STAT_UNMATCHED, /* returns with no entry seen (the call began before the trace) */
	FUNC_STAT_SPAN_UNMATCHED, /* --span ends with no start on the thread */
	FUNC_STAT_ARGS_FULL, /* --arg values beyond FUNC_MAX_ARGS: shown without */
	FUNC_STAT_SPANS_FULL, /* --span starts with no room: not timed */
	FUNC_STAT_NR,
};

#endif
