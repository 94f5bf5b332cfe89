/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Exact per-thread stack cache: a thread that blocks where it blocked one of
 * the last two times gets that walk's stack ids back without walking again.
 *
 * A stack walk is a function of where it starts and of the stack words it
 * reads (return addresses, saved frame pointers). The cache keeps the start
 * and those words' places and values. When the start is the same and one bulk
 * read of the stack region finds the same values at the same places, the
 * walk would find the same frames, so its ids are reused: exact, not a guess.
 *
 * - User stacks: the start is the user registers (pc, sp, bp) and the process
 *   image (self_exec_id); the unwinder (ustack.bpf.h) records each word it
 *   reads. Walks that depended on anything else (a process whose mappings are
 *   not published yet, a failed read, truncation) are not cached, and user
 *   space bumps lt_unwind_gen when it republishes a process's mappings.
 * - Kernel stacks: the kernel's unwinder (ORC) finds each frame's return
 *   address at a place fixed by the frames below it, the distance being a
 *   function of the frame's code. The walk starts in the BPF program, whose
 *   context (tp_btf's argument array, in bpf_trace_runN's frame) is on the
 *   task's stack; so if the same return addresses are found at the same
 *   distances above the context, read from it upwards, the live chain is the
 *   recorded one, frame by frame, and the unwinder would find it again. One
 *   frame has a size that is not a function of its code: the syscall entry's,
 *   which moves everything below it by a random offset on each syscall
 *   (CONFIG_RANDOMIZE_KSTACK_OFFSET). Its own return address is at a fixed
 *   place right below the entry's registers and is checked there.
 *   The places are found once, when a thread repeats a kernel stack (filling
 *   costs a second walk, so threads that never repeat one do not pay it), by
 *   locating the walk's return addresses in order from the context up. The
 *   walk's first frames (the BPF program and the tracepoint's dispatch, below
 *   the context) are the same code every time.
 *
 * Used with tp_btf only: it lives in task-local storage, which the older
 * attach flavours cannot use.
 */
#ifndef LT_STACK_CACHE_BPF_H
#define LT_STACK_CACHE_BPF_H
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "stack_agg.bpf.h"

#define LT_SC_KWORDS 48 /* kernel frames checked; deeper stacks are not cached */
#define LT_SC_UWORDS 64 /* user stack words checked */
#define LT_SC_KLEAD 3 /* kernel frames below the context: tracepoint dispatch */
#define LT_SC_BUF_WORDS 2048 /* 16 KiB: a whole x86-64 kernel stack */

/* One cached stack (kernel and user parts, each filled on its own). */
struct lt_sc_way {
	/* kernel */
	__u64 k_top; /* the outermost return address, right below pt_regs */
	__u64 k_ctx, k_end; /* this event's context and end of stack, as numbers */
	__s32 k_id; /* stack id to reuse */
	__u32 k_n; /* checked words; 0: empty */
	__u32 k_lo; /* words from the context to the lowest checked word */
	__u32 k_span; /* bytes from there past the highest one below the entry */
	/* user */
	__u64 u_pc, u_sp, u_bp; /* registers at fill */
	__u64 u_id; /* user stack key to reuse */
	__u64 u_exec; /* task->self_exec_id at fill */
	__u64 u_gen; /* lt_unwind_gen at fill */
	__u32 u_valid;
	__u32 u_n; /* checked words */
	__u32 u_span; /* bytes from u_sp & ~7 past the last checked word */
	__u16 k_off[LT_SC_KWORDS]; /* word index from the lowest checked word */
	__u16 u_off[LT_SC_UWORDS]; /* word index from u_sp & ~7 */
	__u64 k_val[LT_SC_KWORDS];
	__u64 u_val[LT_SC_UWORDS];
};

/*
 * A thread's cache: two stacks, least recently used out, so that a thread
 * that alternates between two places (a server between epoll_wait and a
 * lock; a thread preempted on its way back from a syscall, then blocked in
 * the next) hits on both.
 */
#define LT_SC_WAYS 2
struct lt_scache {
	struct lt_sc_way w[LT_SC_WAYS];
	__s32 k_last[2]; /* ids + 1 of the last two kernel walks: a repeat fills */
	__s32 k_failed; /* id + 1 whose places could not be found: not tried again */
	__u8 k_mru, u_mru; /* the ways that hit or filled last */
};

struct lt_sc_buf {
	__u64 w[LT_SC_BUF_WORDS];
};

/* The frames of a kernel walk whose places are being found, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_ustack);
} lt_ksc_ips SEC(".maps");

/* Weak: kernels before 6.2 lack it, and load the program that does not call it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * The word at kernel address a, by a direct load that the verifier makes
 * fault-safe (BPF_PROBE_MEM): no helper call, no copy loop.
 */
static __always_inline __u64 lt_kword(__u64 a)
{
	struct pt_regs *p = bpf_rdonly_cast((void *)a, bpf_core_type_id_kernel(struct pt_regs));

	return p->r15;
}

/*
 * Kernel words of c unchanged at their places above c->k_ctx, the entry's
 * return address at c->k_end - 8? Direct loads.
 */
__attribute__((noinline)) int lt_ksc_match_direct(struct lt_sc_way *c)
{
	__u64 lo;

	if (!c || lt_kword(c->k_end - 8) != c->k_top)
		return 0;
	lo = c->k_ctx + (__u64)c->k_lo * 8;
	for (__u32 i = 0; i < LT_SC_KWORDS && i < c->k_n; i++)
		if (lt_kword(lo + (__u64)c->k_off[i] * 8) != c->k_val[i])
			return 0;
	return 1;
}

#ifdef LT_SC_TASK
/*
 * For tools whose programs keep no per-thread storage of their own: the
 * thread's cache in a task storage map of its own, used when user space sets
 * lt_sc_task_on (it clears it and reloads where the kernel refuses task
 * storage in the tool's program types).
 */
const volatile __u8 lt_sc_task_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lt_scache);
} lt_sc_task SEC(".maps");

static __always_inline struct lt_scache *lt_sc_task_get(void)
{
	if (!lt_sc_task_on)
		return NULL;
	return bpf_task_storage_get(&lt_sc_task, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}
#endif

/* One bulk copy of a stack region, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_sc_buf);
} lt_sc_bufs SEC(".maps");

/* Bumped by user space when it republishes a process's mappings. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lt_unwind_gen SEC(".maps");

static __always_inline __u64 lt_sc_gen(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&lt_unwind_gen, &zero);

	return g ? *g : 0;
}

static __always_inline struct lt_sc_buf *lt_sc_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lt_sc_bufs, &zero);
}

/*
 * The checked words of c (user or kernel part) equal buf's words at their
 * places? Global, so that the verifier checks the loops once, on their own.
 */
__attribute__((noinline)) int lt_sc_match(struct lt_sc_buf *buf, struct lt_sc_way *c, int user)
{
	if (!buf || !c)
		return 0;
	if (user) {
		for (__u32 i = 0; i < LT_SC_UWORDS && i < c->u_n; i++)
			if (buf->w[c->u_off[i] & (LT_SC_BUF_WORDS - 1)] != c->u_val[i])
				return 0;
	} else {
		for (__u32 i = 0; i < LT_SC_KWORDS && i < c->k_n; i++)
			if (buf->w[c->k_off[i] & (LT_SC_BUF_WORDS - 1)] != c->k_val[i])
				return 0;
	}
	return 1;
}

/* Copy span bytes at addr (user or kernel memory) into buf; 0 on success. */
static __always_inline int lt_sc_read(struct lt_sc_buf *buf, __u64 addr, __u64 span, bool user)
{
	/* 64-bit, so that the bound checked is the register passed. */
	asm volatile("" : "+r"(span));
	if (span == 0 || span > sizeof(*buf))
		return -1;
	return user ? bpf_probe_read_user(buf, span, (void *)addr) :
		      bpf_probe_read_kernel(buf, span, (void *)addr);
}

/* State of the scan that places a kernel walk's return addresses. */
struct lt_ksc_scan {
	struct lt_sc_buf *buf;
	struct lt_ustack *ips;
	struct lt_sc_way *c;
	__u32 n; /* frames to place: ips[0..n-1], the outermost one excluded */
	__u32 j; /* next frame to find; 0: none found yet */
	__u32 k; /* words recorded */
	__u32 first; /* word index of the first found */
};

/* Step i looks at the i-th word above the context. */
static long lt_ksc_scan_step(__u32 i, void *data)
{
	struct lt_ksc_scan *s = data;
	__u64 w = s->buf->w[i & (LT_SC_BUF_WORDS - 1)];
	__u32 j = s->j, k = s->k;

	if (!j) {
		/* Which of the first frames is the first one above the context? */
		for (__u32 l = 1; l <= LT_SC_KLEAD; l++)
			if (l < s->n && w == s->ips->ips[l]) {
				j = l;
				s->first = i;
				goto found;
			}
		return 0;
	}
	if (j >= s->n || j >= LT_MAX_STACK_DEPTH)
		return 1;
	if (w != s->ips->ips[j])
		return 0;
found:
	if (k >= LT_SC_KWORDS)
		return 1; /* too deep: s->j < s->n tells */
	s->c->k_off[k] = i - s->first;
	s->c->k_val[k] = w;
	s->k = k + 1;
	s->j = j + 1;
	return s->j >= s->n;
}

/* Where the task's stack ends: its entry registers (or a kernel thread's unused ones). */
static __always_inline __u64 lt_kstack_top(struct task_struct *task)
{
	return (__u64)bpf_task_pt_regs(task);
}

/*
 * Place the return addresses of the current kernel stack (whose id is id)
 * above the context ctx, so that the next walk can be checked instead of
 * repeated.
 */
static __always_inline void lt_ksc_fill(void *ctx, struct task_struct *task, struct lt_sc_way *c,
					__s32 id)
{
	struct lt_ksc_scan s = {};
	__u64 base = (__u64)ctx, top = lt_kstack_top(task), bottom = (__u64)task->stack;
	__u32 zero = 0, nw;
	__u64 outer;
	long sz;

	c->k_n = 0;
	if (base < bottom || base >= top || top - base > sizeof(struct lt_sc_buf))
		return; /* the context is not on the task's stack */
	s.buf = lt_sc_buf();
	s.ips = bpf_map_lookup_elem(&lt_ksc_ips, &zero);
	if (!s.buf || !s.ips)
		return;
	sz = bpf_get_stack(ctx, s.ips->ips, sizeof(s.ips->ips), 0);
	if (sz < 3 * (long)sizeof(__u64))
		return;
	s.n = (__u32)sz / sizeof(__u64) - 1;
	if (s.n >= LT_MAX_STACK_DEPTH)
		return;
	outer = s.ips->ips[s.n];
	nw = (top - base) / 8;
	if (lt_sc_read(s.buf, base, top - base, false))
		return;
	/* The outermost frame: at its fixed place, right below the registers. */
	if (s.buf->w[(nw - 1) & (LT_SC_BUF_WORDS - 1)] != outer)
		return;
	s.c = c;
	bpf_loop(nw - 1, lt_ksc_scan_step, &s, 0);
	/* Every frame after the first found one placed, in order. */
	if (!s.j || s.j < s.n || !s.k)
		return;
	c->k_top = outer;
	c->k_lo = s.first;
	c->k_span = (c->k_off[(s.k - 1) & (LT_SC_KWORDS - 1)] + 1) * 8;
	c->k_id = id;
	c->k_n = s.k;
}

/*
 * The same check with two bulk copies (bpf_probe_read_kernel copies word by
 * word, about 1 ns each): the chain above the context, and the entry's
 * return address at its fixed place (the random offset lies between).
 */
static __always_inline int lt_ksc_match_read(struct lt_sc_way *c)
{
	struct lt_sc_buf *buf = lt_sc_buf();
	__u64 outer;

	return buf && !bpf_probe_read_kernel(&outer, sizeof(outer), (void *)(c->k_end - 8)) &&
	       outer == c->k_top &&
	       !lt_sc_read(buf, c->k_ctx + (__u64)c->k_lo * 8, c->k_span, false) &&
	       lt_sc_match(buf, c, 0);
}

/* Is the current kernel stack way's? ctx and task: the event's. */
static __always_inline int lt_ksc_hit(void *ctx, struct task_struct *task, struct lt_sc_way *way,
				      bool direct)
{
	if (!way->k_n)
		return 0;
	way->k_ctx = (__u64)ctx;
	way->k_end = lt_kstack_top(task);
	return direct ? lt_ksc_match_direct(way) : lt_ksc_match_read(way);
}

/*
 * Kernel stack id of the current task, from the cache when the stack is
 * provably one of the two it holds. task is current; ctx must be tp_btf's.
 * direct: check with direct loads (bpf_rdonly_cast, kernels 6.2 on), else
 * with bpf_probe_read_kernel.
 */
static __always_inline __s32 lt_kstack_get_cached(void *ctx, struct task_struct *task,
						  struct lt_scache *c, bool direct)
{
	__u32 mru = c->k_mru & 1;
	struct lt_sc_way *way;
	__s32 id;

	/*
	 * Each check is two reads: the chain above the context, and the
	 * entry's return address at its fixed place (the random offset lies
	 * between). The way that hit last first.
	 */
	if (lt_ksc_hit(ctx, task, &c->w[mru], direct)) {
		lt_stat_inc(LT_STAT_KCACHE_HIT);
		return c->w[mru].k_id;
	}
	if (lt_ksc_hit(ctx, task, &c->w[mru ^ 1], direct)) {
		lt_stat_inc(LT_STAT_KCACHE_HIT);
		c->k_mru = mru ^ 1;
		return c->w[mru ^ 1].k_id;
	}
	id = lt_kstack_get(ctx);
	if (id < 0)
		return id;
	/*
	 * A walk that gives one of the last two walks' stacks again: find its
	 * words' places, into the way used least recently.
	 */
	if ((id + 1 == c->k_last[0] || id + 1 == c->k_last[1]) && id + 1 != c->k_failed) {
		way = &c->w[mru ^ 1];
		lt_ksc_fill(ctx, task, way, id);
		if (way->k_n)
			c->k_mru = mru ^ 1;
		else
			c->k_failed = id + 1;
	}
	c->k_last[1] = c->k_last[0];
	c->k_last[0] = id + 1;
	return id;
}

#endif
