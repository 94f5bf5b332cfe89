/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The stack aggregator's contract between BPF and user space, shared by every
 * tool: one map keyed by (tgid, pid, comm, user stack, kernel stack, aux, aux2)
 * holding total, count and a log-linear histogram of the tool's value, plus the
 * per-CPU counters of events that could not be recorded.
 */
#ifndef LT_STACK_AGG_H
#define LT_STACK_AGG_H
#include "lt_types.h"

#define LT_COMM_LEN 16
#define LT_MAX_STACK_DEPTH 127 /* perf's default kernel.perf_event_max_stack */
/*
 * Log-linear buckets, 8 per power of two (LT_HIST_SUB): slots 0..7 hold the
 * values 0..7; above, slot (msb - 2) * 8 + the 3 bits below the leading one.
 * 256 slots reach 2^34 (4.8 hours in us); larger values go to the last.
 */
#define LT_HIST_SUB 8
#define LT_HIST_SLOTS 256

/* floor(log2(v)) for v > 0, branch-free (no loop for the verifier). */
static inline __attribute__((always_inline)) __u32 lt_log2(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* The slot of v: one definition for BPF (lt_agg_add) and user space (hist.c). */
static inline __attribute__((always_inline)) __u32 lt_hist_slot(__u64 v)
{
	__u32 msb, s;

	if (v < LT_HIST_SUB)
		return (__u32)v;
	msb = lt_log2(v);
	s = (msb - 2) * LT_HIST_SUB + ((v >> (msb - 3)) & (LT_HIST_SUB - 1));
	return s < LT_HIST_SLOTS ? s : LT_HIST_SLOTS - 1;
}

/*
 * A tool's lt_stack_key.aux as named fields, with one encoder (BPF) and one
 * decoder (user space) made from one list: FIELDS(X) lists
 * X(name, first bit, bits). LT_AUX_DEFINE(io_aux, IO_AUX_FIELDS) makes
 * struct io_aux, io_aux_encode(struct io_aux) and io_aux_decode(__u32).
 * A field's value is cut to its bits.
 */
#define LT_AUX_MASK(bits) ((__u32)((1ULL << (bits)) - 1))
#define LT_AUX_MEMBER(name, shift, bits) __u32 name;
#define LT_AUX_PACK(name, shift, bits) | ((a.name & LT_AUX_MASK(bits)) << (shift))
#define LT_AUX_UNPACK(name, shift, bits) a.name = (v >> (shift)) & LT_AUX_MASK(bits);
#define LT_AUX_DEFINE(type, FIELDS)                                                     \
	struct type {                                                                   \
		FIELDS(LT_AUX_MEMBER)                                                   \
	};                                                                              \
	static inline __attribute__((always_inline)) __u32 type##_encode(struct type a) \
	{                                                                               \
		return 0 FIELDS(LT_AUX_PACK);                                           \
	}                                                                               \
	static inline __attribute__((always_inline)) struct type type##_decode(__u32 v) \
	{                                                                               \
		struct type a;                                                          \
		FIELDS(LT_AUX_UNPACK)                                                   \
		return a;                                                               \
	}

/* No stack captured (filtered by -U/-K, kernel thread, or lost: see stats). */
#define LT_NO_KSTACK (-1)
#define LT_NO_USTACK 0ULL

struct lt_stack_key {
	__u64 ustack; /* key in the user stack map (hash of the frames), 0 if none */
	__s32 kstack; /* id in the kernel stack trace map, < 0 if none */
	__u32 tgid;
	__u32 pid;
	__u32 aux; /* tool-specific dimension (offcpu: enum offcpu_class) */
	__u32 aux2; /* a second one (io: the device, major << 20 | minor) */
	char comm[LT_COMM_LEN];
};

struct lt_stack_val {
	__u64 total; /* sum of the tool's value, in its unit */
	__u64 count;
	__u64 total2; /* a second sum, in the tool's second unit (io: bytes); 0 if none */
	__u32 hist[LT_HIST_SLOTS];
};

/*
 * A user frame whose address is the instruction a signal interrupted (or the
 * signal trampoline itself), not a return address: symbolize it as is, not
 * at address - 1. User addresses never have the top bit set.
 */
#define LT_USTACK_EXACT (1ULL << 63)

/* Why a user stack walk stopped (struct lt_ustack.end). */
enum lt_uend {
	LT_UEND_NONE = 0, /* not recorded: the kernel's frame-pointer walker (bpf_get_stack) */
	LT_UEND_CHAIN, /* no caller: frame pointer 0 or unaligned, zero return address, or the
			  return address is not code of the process */
	LT_UEND_DEPTH, /* --perf-max-stack-depth frames */
	LT_UEND_FAULT, /* a stack word could not be read */
	LT_UEND_SWITCHES, /* a further stack switch, past LT_UWALK_MAX_SWITCHES */
	LT_UEND_NR,
};

/* How a user stack was walked (struct lt_ustack.flags). */
#define LT_UWALK_NOMAPS (1U << 0) /* without the process's mapping list (not yet published) */
#define LT_UWALK_SIGNAL (1U << 1) /* through a signal frame */
#define LT_UWALK_SWITCH (1U << 2) /* across a stack switch (Go's g0 and goroutine stacks) */
#define LT_UWALK_COPIED \
	(1U << 3) /* walked again by user space, over the stack copied at the event */

/*
 * User stack map value: frames leaf first, zero-terminated when shorter, and
 * how the walk ended. The key is a hash of the frames only: the first walk
 * to store a stack says how it ended, and whose it is (tgid). A walk of
 * another process that finds it sets shared (a forked child, a program
 * without ASLR): user space deletes only unshared stacks of processes that
 * exited, which nothing can reference again (user/stacks.c).
 */
struct lt_ustack {
	__u64 ips[LT_MAX_STACK_DEPTH];
	__u32 end; /* enum lt_uend */
	__u32 flags; /* LT_UWALK_* */
	__u32 tgid; /* the process whose walk stored it */
	__u32 shared; /* another process's walk found it too */
};

/* Counters of events that could not be fully recorded (per-CPU array). */
enum lt_stat {
	LT_STAT_KSTACK_FAULT, /* bpf_get_stackid failed (-EFAULT) */
	LT_STAT_KSTACK_COLLISION, /* stack map hash bucket taken (-EEXIST) */
	LT_STAT_KSTACK_FULL, /* stack map out of entries (-ENOMEM) */
	LT_STAT_USTACK_FAULT, /* no user registers or unreadable first frame */
	LT_STAT_USTACK_FULL, /* user stack map full */
	LT_STAT_USTACK_TRUNC, /* user stack deeper than --perf-max-stack-depth */
	LT_STAT_UNWIND_UNKNOWN, /* process mappings not yet published: unwound by FP */
	LT_STAT_AGG_FULL, /* aggregation map full: the event was not counted */
	LT_STAT_START_FULL, /* too many tasks in flight: the event was not timed */
	LT_STAT_END_LOST, /* no longer counted (a busy switch-in is timed later, END_UNTRACED):
			     kept so that JSON's "end_lost" stays */
	LT_STAT_RINGBUF_LOST, /* event stream (io --slower) full: the event was not sent */
	LT_STAT_EVENTS, /* events aggregated */
	LT_STAT_KCACHE_HIT, /* kernel stacks reused from the thread's stack cache */
	LT_STAT_UCACHE_HIT, /* user stacks reused from the thread's stack cache */
	LT_STAT_WANT_FULL, /* processes user space could not be asked to publish (queue full) */
	LT_STAT_END_UNTRACED, /* offcpu: blocks whose switch-in was not seen (not traced, or task
				 storage busy then), timed at the next switch-out */
	LT_STAT_COPY_LOST, /* user stacks of unpublished processes not copied (ring buffer full) */
	LT_STAT_WAKER_FULL, /* offcpu --wakers: waker map full: the block was counted without its waker */
	LT_STAT_AGG_NEW, /* keys added to the aggregation maps (their fill, for the drain) */
	LT_STAT_USTACK_NEW, /* stacks added to the user stack map (its fill, for the drain) */
	LT_STAT_NR,
};

#endif
