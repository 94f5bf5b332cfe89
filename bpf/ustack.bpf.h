/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User stack capture that does not lose frames in code built without frame
 * pointers (glibc's nanosleep, read, pthread_cond_wait ...).
 *
 * The kernel's own user stack walker (bpf_get_stackid + BPF_F_USER_STACK)
 * follows the rbp chain only. When the task blocks inside a libc function that
 * keeps no frame pointer, the chain skips that function's caller, which is the
 * frame a user most needs. Here each frame is unwound with the CFI table of its
 * file when user space loaded one (bpf/unwind.h: built from .eh_frame for
 * files compiled without frame pointers) and with the frame pointer otherwise.
 * The frames are hashed into lt_ustacks, so stacks still aggregate in the
 * kernel.
 */
#ifndef LT_USTACK_BPF_H
#define LT_USTACK_BPF_H
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "stack_agg.bpf.h"
#include "stack_cache.bpf.h"
#include "unwind.h"

#define PF_KTHREAD 0x00200000

enum lt_ustack_mode {
	LT_USTACK_CFI = 0, /* CFI tables where loaded, frame pointers elsewhere */
	LT_USTACK_FP = 1, /* kernels without bpf_loop/bpf_find_vma: rbp chain only */
};

const volatile __u8 lt_ustack_mode = LT_USTACK_CFI;
const volatile __u32 lt_ustack_depth = LT_MAX_STACK_DEPTH;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* set by user space: --stack-storage-size */
	__type(key, __u64);
	__type(value, struct lt_ustack);
} lt_ustacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_ustack);
} lt_ustack_scratch SEC(".maps");

/* Tables by file, for the one VMA bpf_find_vma() finds for an unpublished process. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_UNWIND_MAX_TABLES);
	__type(key, struct lt_unwind_key);
	__type(value, struct lt_unwind_tab);
} lt_unwind_tabs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* sized by user space from the tables it built */
	__type(key, __u32);
	__type(value, struct lt_unwind_row);
} lt_unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* sized by user space from the mappings it saw */
	__type(key, __u32);
	__type(value, struct lt_unwind_map);
} lt_unwind_maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_UNWIND_MAX_PROCS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lt_unwind_proc);
} lt_unwind_procs SEC(".maps");

/* Processes for user space to publish: value enum lt_unwind_want_why. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_UNWIND_MAX_WANT);
	__type(key, __u32);
	__type(value, __u8);
} lt_unwind_want SEC(".maps");

/* Walk state shared by the bpf_loop() steps. */
struct lt_walk {
	__u64 pc, sp, bp;
	__u64 vm_start, vm_end; /* cached range of the last pc: one answer holds for it */
	__u64 vm_pgoff, bias;
	__u64 ino;
	__u32 dev;
	__u32 tgid;
	__u32 n; /* frames stored */
	__u32 tab_first; /* CFI table of the cached range's file */
	__u32 tab_nrows; /* 0: no table, unwind by frame pointer */
	__u32 pfirst, pn; /* the process's list in lt_unwind_maps */
	__u64 seed_start, seed_end, seed_bias; /* without a list: the leaf's VMA */
	__u32 seed_first, seed_nrows; /* and its table */
	__u8 have_list; /* pfirst/pn are valid */
	__u8 in_map; /* the cached range is one of the process's executable mappings */
	__u8 have_file;
	__u8 nocache; /* the walk depended on more than the words it recorded */
	__u8 end; /* enum lt_uend */
	__u8 flags; /* LT_UWALK_* */
	__u8 exact; /* pc is an interrupted instruction, not a return address */
	__u8 switches; /* stack switches followed */
	__u32 nrec; /* words recorded in sc */
	__u32 span; /* bytes from sc_base past the highest recorded word */
	__u64 sc_base; /* the start sp & ~7: recorded words are indexed from it */
	struct task_struct *task;
	struct lt_ustack *st; /* the per-CPU frame buffer, looked up once per walk */
	struct lt_scache *sc; /* where the words the walk reads are recorded, or NULL */
};

/* Record that the walk read val at addr, for lt_ustack_get()'s cache. */
static __always_inline void lt_walk_rec(struct lt_walk *w, __u64 addr, __u64 val)
{
	struct lt_scache *c = w->sc;
	__u64 d = addr - w->sc_base;
	__u32 k = w->nrec;

	if (!c || w->nocache)
		return;
	if (addr < w->sc_base || (d & 7) || d >= sizeof(struct lt_sc_buf) || k >= LT_SC_UWORDS) {
		w->nocache = 1;
		return;
	}
	/* k < LT_SC_UWORDS already; the (opaque) mask keeps the verifier sure of it. */
	asm volatile("" : "+r"(k));
	k &= LT_SC_UWORDS - 1;
	c->u_off[k] = d / 8;
	c->u_val[k] = val;
	w->nrec = k + 1;
	if (d + 8 > w->span)
		w->span = d + 8;
}

static long lt_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct lt_walk *w = data;
	struct file *f = vma->vm_file;

	w->vm_start = vma->vm_start;
	w->vm_end = vma->vm_end;
	w->vm_pgoff = vma->vm_pgoff;
	w->have_file = 0;
	if (f) {
		w->ino = f->f_inode->i_ino;
		w->dev = f->f_inode->i_sb->s_dev;
		w->have_file = 1;
	}
	return 0;
}

/*
 * Index of the last row of table [first, first + nrows) starting at or below
 * off, or -1. Global (not inlined) so the verifier checks it once, on its own,
 * instead of once per path of the caller.
 */
__attribute__((noinline)) int lt_unwind_row_find(__u32 first, __u32 nrows, __u32 off)
{
	__u32 lo = 0, hi = nrows, idx;

	for (int i = 0; i < LT_UNWIND_SEARCH_STEPS && lo < hi; i++) {
		__u32 mid = lo + (hi - lo) / 2;
		struct lt_unwind_row *row;

		idx = first + mid;
		row = bpf_map_lookup_elem(&lt_unwind_rows, &idx);
		if (!row)
			return -1;
		if (row->off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (int)(first + lo - 1) : -1;
}

/* What lt_unwind_range() found for a pc. */
struct lt_range {
	__u64 start, end; /* the range the answer holds for */
	__u64 bias;
	__u32 tab_first, tab_nrows; /* nrows 0: no table, frame pointers */
	__u32 mapped; /* the range is an executable mapping; 0: between mappings */
};

/*
 * Look pc up in a process's list, lt_unwind_maps[first .. first + n), sorted
 * by start: a binary search whose steps are inlined array loads. Returns 1
 * and fills r (also between mappings: mapped 0), 0 on a bad slice. Global for
 * the same reason as lt_unwind_row_find().
 */
__attribute__((noinline)) int lt_unwind_range(__u32 first, __u32 n, __u64 pc, struct lt_range *r)
{
	struct lt_unwind_map *m;
	__u32 l = 0, h = n, idx;

	if (!r)
		return 0;
	for (int k = 0; k < LT_UNWIND_MAP_STEPS && l < h; k++) {
		__u32 mid = l + (h - l) / 2;

		idx = first + mid;
		m = bpf_map_lookup_elem(&lt_unwind_maps, &idx);
		if (!m)
			return 0;
		if (m->start <= pc)
			l = mid + 1;
		else
			h = mid;
	}
	r->start = 0;
	r->end = ~0ULL;
	r->tab_nrows = 0;
	r->mapped = 0;
	if (l > 0) {
		idx = first + l - 1;
		m = bpf_map_lookup_elem(&lt_unwind_maps, &idx);
		if (!m)
			return 0;
		if (pc < m->end) {
			r->start = m->start;
			r->end = m->end;
			r->bias = m->bias;
			r->tab_first = m->tab_first;
			r->tab_nrows = m->tab_nrows;
			r->mapped = 1;
			return 1;
		}
		r->start = m->end;
	}
	if (l < n) {
		idx = first + l;
		m = bpf_map_lookup_elem(&lt_unwind_maps, &idx);
		if (m)
			r->end = m->start;
	}
	return 1; /* between mappings: not code of this process */
}

/*
 * Find the process's published list. Without one (started or exec'd after
 * attach, not published yet): ask user space to publish it, and meanwhile
 * look up the VMA of the leaf pc. bpf_find_vma() works only once per
 * sched_switch, so it is called once, here, before the walk.
 */
static __always_inline void lt_walk_seed(struct lt_walk *w)
{
	struct lt_unwind_proc *pl;
	struct lt_unwind_key k = {};
	struct lt_unwind_tab *t;
	__u8 why = LT_WANT_MET;
	long err;

	pl = bpf_map_lookup_elem(&lt_unwind_procs, &w->tgid);
	if (pl) {
		w->pfirst = pl->first;
		w->pn = pl->n;
		w->have_list = 1;
		return;
	}
	/* Frames outside the leaf's VMA will be unwound by frame pointer. */
	lt_stat_inc(LT_STAT_UNWIND_UNKNOWN);
	w->flags |= LT_UWALK_NOMAPS;
	w->nocache = 1;
	err = bpf_map_update_elem(&lt_unwind_want, &w->tgid, &why, BPF_NOEXIST);
	if (err && err != -EEXIST)
		lt_stat_inc(LT_STAT_WANT_FULL);
	err = bpf_find_vma(w->task, w->pc, lt_vma_cb, w, 0);
	if (err) {
		w->vm_start = w->vm_end = 0;
		return;
	}
	w->bias = w->vm_start - (w->vm_pgoff << 12);
	w->tab_nrows = 0;
	if (w->have_file) {
		k.dev = w->dev;
		k.ino = w->ino;
		t = bpf_map_lookup_elem(&lt_unwind_tabs, &k);
		if (t) {
			w->tab_first = t->first;
			w->tab_nrows = t->nrows;
		}
	}
	w->seed_start = w->vm_start;
	w->seed_end = w->vm_end;
	w->seed_bias = w->bias;
	w->seed_first = w->tab_first;
	w->seed_nrows = w->tab_nrows;
}

/*
 * Find the CFI table covering pc and cache the range it holds for, from the
 * VMA seeded above or the process's list. Without either, tab_nrows is 0:
 * unwind by frame pointer.
 */
static __always_inline void lt_walk_vma(struct lt_walk *w, __u64 pc)
{
	struct lt_range r;

	if (pc >= w->vm_start && pc < w->vm_end)
		return;
	w->tab_nrows = 0;
	w->in_map = 0;
	if (!w->have_list) {
		/* Only the leaf's VMA is known: its table where pc is back in it. */
		if (pc >= w->seed_start && pc < w->seed_end) {
			w->vm_start = w->seed_start;
			w->vm_end = w->seed_end;
			w->bias = w->seed_bias;
			w->tab_first = w->seed_first;
			w->tab_nrows = w->seed_nrows;
		} else {
			w->vm_start = w->vm_end = 0;
		}
		return;
	}
	if (!lt_unwind_range(w->pfirst, w->pn, pc, &r)) {
		w->vm_start = w->vm_end = 0;
		return;
	}
	w->vm_start = r.start;
	w->vm_end = r.end;
	w->bias = r.bias;
	w->tab_first = r.tab_first;
	w->tab_nrows = r.tab_nrows;
	w->in_map = r.mapped;
}

/* Is addr code of the process? Only a published list can say yes. */
static __always_inline bool lt_walk_is_code(struct lt_walk *w, __u64 addr)
{
	struct lt_range r;

	if (!w->have_list)
		return false;
	if (addr >= w->vm_start && addr < w->vm_end)
		return w->in_map;
	return lt_unwind_range(w->pfirst, w->pn, addr, &r) && r.mapped;
}

/* One frame: CFI where the file has a table, frame pointer otherwise. */
static long lt_walk_step(__u32 i, void *data)
{
	struct lt_walk *w = data;
	/*
	 * Step i stores frame i + 1 (frame 0 is the interrupted pc). Indexing by
	 * i, which the verifier treats as unknown, rather than by a counter in
	 * w lets it verify this callback once instead of once per iteration.
	 */
	__u32 slot = i + 1;
	/* A return address is looked up at the call instruction, before it. */
	__u64 pc = i == 0 || w->exact ? w->pc : w->pc - 1;
	__u64 cfa, ra;
	struct lt_ustack *st = w->st;

	w->exact = 0;
	if (slot >= lt_ustack_depth || slot >= LT_MAX_STACK_DEPTH) {
		w->end = LT_UEND_DEPTH;
		w->nocache = 1;
		return 1;
	}

	lt_walk_vma(w, pc);
	/*
	 * A return address that is no code of the process (a frame pointer
	 * chain's garbage at the top of a stack): drop it and stop.
	 */
	if (i > 0 && w->have_list && !w->in_map) {
		w->n = i;
		w->end = LT_UEND_CHAIN;
		return 1;
	}
	if (w->tab_nrows) {
		__u32 off = pc - w->bias;
		int idx = lt_unwind_row_find(w->tab_first, w->tab_nrows, off);
		struct lt_unwind_row *row = NULL;

		if (idx >= 0)
			row = bpf_map_lookup_elem(&lt_unwind_rows, &idx);

		if (row && row->cfa_reg == LT_CFA_SIGNAL) {
			/* The trampoline: the interrupted registers are in the sigframe. */
			struct {
				__u64 bp, bx, dx, ax, cx, sp, ip;
			} r;
			__u64 at = w->sp + LT_SIGFRAME_BP;

			if (bpf_probe_read_user(&r, sizeof(r), (void *)at))
				goto fault;
			lt_walk_rec(w, at, r.bp);
			lt_walk_rec(w, at + (LT_SIGFRAME_SP - LT_SIGFRAME_BP), r.sp);
			lt_walk_rec(w, at + (LT_SIGFRAME_IP - LT_SIGFRAME_BP), r.ip);
			/* The trampoline is named at its own address, not the one before. */
			if (i < LT_MAX_STACK_DEPTH)
				st->ips[i] |= LT_USTACK_EXACT;
			w->bp = r.bp;
			w->sp = r.sp;
			ra = r.ip;
			w->exact = 1;
			w->flags |= LT_UWALK_SIGNAL;
			goto store;
		}
		if (row && row->cfa_reg != LT_CFA_UNDEF) {
			if (row->cfa_reg == LT_CFA_RSP)
				cfa = w->sp + row->cfa_off;
			else if (row->cfa_reg == LT_CFA_RBP)
				cfa = w->bp + row->cfa_off;
			else /* PLT: rsp + 8, + 8 more once the stub has pushed */
				cfa = w->sp + row->cfa_off + (((w->pc & 15) >= 11) ? 8 : 0);
			if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8)))
				goto fault;
			lt_walk_rec(w, cfa - 8, ra);
			if (row->rbp_off) {
				if (bpf_probe_read_user(&w->bp, sizeof(w->bp),
							(void *)(cfa + row->rbp_off)))
					goto fault;
				lt_walk_rec(w, cfa + row->rbp_off, w->bp);
			}
			w->sp = cfa;
			goto store;
		}
	}

	/* Frame pointer: [rbp] = caller's rbp, [rbp + 8] = return address. */
	{
		struct {
			__u64 bp, ra;
		} fr;

		if (!w->bp || (w->bp & 7)) {
			w->end = LT_UEND_CHAIN;
			return 1;
		}
		if (bpf_probe_read_user(&fr, sizeof(fr), (void *)w->bp))
			goto fault;
		/*
		 * Frames grow upwards; a lower frame pointer is a stack switch
		 * (Go's mcall and systemstack run on g0 with the goroutine's rbp
		 * chained), followed when it leads to code of the process.
		 */
		if (w->bp < w->sp) {
			if (w->switches >= LT_UWALK_MAX_SWITCHES || !lt_walk_is_code(w, fr.ra)) {
				w->end = LT_UEND_CHAIN;
				return 1;
			}
			w->switches++;
			w->flags |= LT_UWALK_SWITCH;
		}
		lt_walk_rec(w, w->bp, fr.bp);
		lt_walk_rec(w, w->bp + 8, fr.ra);
		ra = fr.ra;
		w->sp = w->bp + 16;
		w->bp = fr.bp;
	}
store:
	if (!ra) {
		w->end = LT_UEND_CHAIN;
		return 1;
	}
	w->pc = ra;
	if (w->exact)
		ra |= LT_USTACK_EXACT;
	asm volatile("" : "+r"(slot)); /* keep the bound next to the store */
	if (slot >= LT_MAX_STACK_DEPTH)
		return 1;
	st->ips[slot & 127] = ra; /* the mask: for the verifier, within the value */
	w->n = slot + 1;
	return 0;
fault:
	/* Where the stack ends unreadable, a bulk re-read proves nothing. */
	w->nocache = 1;
	w->end = LT_UEND_FAULT;
	return 1;
}

/*
 * An exec replaces every mapping: forget the published list. The new image's
 * mappings reach user space as mmap records (or its first stack asks), and
 * it publishes a new list.
 */
SEC("tracepoint/sched/sched_process_exec")
int lt_unwind_exec(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	bpf_map_delete_elem(&lt_unwind_procs, &tgid);
	return 0;
}

/*
 * A forked process has its parent's address space: its walks use the
 * parent's list from its first event, and user space is asked to publish one
 * of its own (the parent may republish, and its old list is then reused).
 * Without a place in the queue, the child gets no copy: it is met, and asks.
 */
SEC("raw_tp/sched_process_fork")
int lt_unwind_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	struct lt_unwind_proc *pl;
	__u8 why = LT_WANT_FORK;
	long err;

	if (ptgid == ctgid)
		return 0; /* a thread */
	pl = bpf_map_lookup_elem(&lt_unwind_procs, &ptgid);
	if (!pl) {
		bpf_map_delete_elem(&lt_unwind_procs, &ctgid); /* a dead process's, reused pid */
		return 0;
	}
	err = bpf_map_update_elem(&lt_unwind_want, &ctgid, &why, BPF_ANY);
	if (err) {
		lt_stat_inc(LT_STAT_WANT_FULL);
		bpf_map_delete_elem(&lt_unwind_procs, &ctgid);
		return 0;
	}
	bpf_map_update_elem(&lt_unwind_procs, &ctgid, pl, BPF_ANY);
	return 0;
}

static __always_inline __u64 lt_mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

struct lt_hash_ctx {
	__u64 h;
	struct lt_ustack *st;
};

/* Mix frame i into the stack's hash (a callback: verified once, not per frame). */
static long lt_hash_step(__u32 i, void *data)
{
	struct lt_hash_ctx *c = data;

	if (i >= LT_MAX_STACK_DEPTH)
		return 1;
	c->h = lt_mix64(c->h ^ c->st->ips[i]) + i;
	return 0;
}

/*
 * The cached user stack of the current task when its registers, image and
 * every word its last walk read are unchanged: then a walk would give the
 * same frames. Returns the stack's key, or 0 when it must be walked.
 */
static __always_inline __u64 lt_ustack_cached(struct task_struct *task, struct pt_regs *regs,
					      struct lt_scache *c, __u64 gen)
{
	struct lt_sc_buf *buf;

	if (!c->u_valid || regs->ip != c->u_pc || regs->sp != c->u_sp || regs->bp != c->u_bp ||
	    task->self_exec_id != c->u_exec || gen != c->u_gen)
		return 0;
	if (c->u_n) {
		buf = lt_sc_buf();
		if (!buf || lt_sc_read(buf, c->u_sp & ~7ULL, c->u_span, true) ||
		    !lt_sc_match(buf, c, 1))
			return 0;
	}
	lt_stat_inc(LT_STAT_UCACHE_HIT);
	return c->u_id;
}

/*
 * Capture the current task's user stack into lt_ustacks; returns its key, or
 * LT_NO_USTACK for kernel threads and on failure (counted in lt_stats). With
 * sc (the thread's stack cache; CFI mode only), a stack provably the same as
 * last time is not walked again.
 */
static __always_inline __u64 lt_ustack_get_sc(void *ctx, struct lt_scache *sc)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct lt_walk w = {};
	struct lt_ustack *st;
	struct pt_regs *regs = NULL;
	struct lt_hash_ctx hc = { .h = 0x9e3779b97f4a7c15ULL };
	__u32 zero = 0, n;
	__u8 one = 1;
	__u64 h, gen = 0;
	long err;

	if (task->flags & PF_KTHREAD)
		return LT_NO_USTACK;
	if (lt_ustack_mode == LT_USTACK_CFI) {
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		if (!regs) {
			lt_stat_inc(LT_STAT_USTACK_FAULT);
			return LT_NO_USTACK;
		}
		if (sc) {
			gen = lt_sc_gen();
			h = lt_ustack_cached(task, regs, sc, gen);
			if (h)
				return h;
			sc->u_valid = 0;
		}
	}
	st = bpf_map_lookup_elem(&lt_ustack_scratch, &zero);
	if (!st)
		return LT_NO_USTACK;

	if (lt_ustack_mode == LT_USTACK_FP) {
		long sz = bpf_get_stack(ctx, st->ips, lt_ustack_depth * sizeof(__u64),
					BPF_F_USER_STACK);

		if (sz <= 0) {
			lt_stat_inc(LT_STAT_USTACK_FAULT);
			return LT_NO_USTACK;
		}
		n = sz / sizeof(__u64);
		/* Not snapshotted yet (forked after attach): ask user space to, for symbols. */
		w.tgid = bpf_get_current_pid_tgid() >> 32;
		if (!bpf_map_lookup_elem(&lt_unwind_procs, &w.tgid))
			bpf_map_update_elem(&lt_unwind_want, &w.tgid, &one, BPF_NOEXIST);
	} else {
		w.task = task;
		w.st = st;
		w.sc = sc;
		w.tgid = bpf_get_current_pid_tgid() >> 32;
		w.pc = regs->ip;
		w.sp = regs->sp;
		w.bp = regs->bp;
		w.sc_base = w.sp & ~7ULL;
		if (!w.pc) {
			lt_stat_inc(LT_STAT_USTACK_FAULT);
			return LT_NO_USTACK;
		}
		st->ips[0] = w.pc;
		w.n = 1;
		lt_walk_seed(&w);
		bpf_loop(LT_MAX_STACK_DEPTH, lt_walk_step, &w, 0);
		if (w.end == LT_UEND_DEPTH)
			lt_stat_inc(LT_STAT_USTACK_TRUNC);
		n = w.n;
	}

	st->end = w.end;
	st->flags = w.flags;
	hc.st = st;
	bpf_loop(n, lt_hash_step, &hc, 0);
	h = hc.h ?: 1;
	if (n < LT_MAX_STACK_DEPTH)
		st->ips[n] = 0;
	/* Seen before (the common case): no update, no bucket lock. */
	if (!bpf_map_lookup_elem(&lt_ustacks, &h)) {
		err = bpf_map_update_elem(&lt_ustacks, &h, st, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			lt_stat_inc(LT_STAT_USTACK_FULL);
			return LT_NO_USTACK;
		}
	}
	if (sc && regs && !w.nocache) {
		sc->u_pc = regs->ip;
		sc->u_sp = regs->sp;
		sc->u_bp = regs->bp;
		sc->u_n = w.nrec;
		sc->u_span = w.span;
		sc->u_id = h;
		sc->u_gen = gen;
		sc->u_exec = task->self_exec_id;
		sc->u_valid = 1;
	}
	return h;
}

static __always_inline __u64 lt_ustack_get(void *ctx)
{
	return lt_ustack_get_sc(ctx, NULL);
}

#endif
