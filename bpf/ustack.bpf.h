/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User stack capture that does not lose frames in code built without frame
 * pointers (glibc's nanosleep, read, pthread_cond_wait ...).
 *
 * The kernel's own user stack walker (bpf_get_stackid + BPF_F_USER_STACK)
 * follows the rbp chain only. When the task blocks inside a libc function that
 * keeps no frame pointer, the chain skips that function's caller, which is the
 * frame a user most needs. Here each frame is unwound with the CFI table of its
 * file when user space loaded one (abi/unwind.h: built from .eh_frame for
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

/* Stacks of unpublished processes, for user space to walk again (abi/unwind.h). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* set by user space */
} lt_ustack_copies SEC(".maps");

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

/*
 * What one step of a walk reads and decides: scalars only, so that the step
 * (lt_walk_next) can be a global function the verifier checks once, on its
 * own, rather than once per state of the loop around it.
 */
struct lt_wstate {
	__u64 pc, sp, bp;
	__u64 vm_start, vm_end; /* cached range of the last pc: one answer holds for it */
	__u64 bias;
	__u64 seed_start, seed_end, seed_bias; /* without a list: the leaf's VMA */
	__u32 tab_first, tab_nrows; /* CFI table of the cached range (nrows 0: none) */
	__u32 seed_first, seed_nrows; /* and of the leaf's VMA */
	__u32 pfirst, pn; /* the process's list in lt_unwind_maps */
	__u32 i; /* the step: it stores frame i + 1 */
	__u8 have_list; /* pfirst/pn are valid */
	__u8 in_map; /* the cached range is one of the process's executable mappings */
	__u8 exact; /* pc is an interrupted instruction, not a return address */
	__u8 mark_exact; /* this step found frame i to be the signal trampoline */
	__u8 switches; /* stack switches followed */
	__u8 end; /* enum lt_uend, once the walk stops */
	__u8 flags; /* LT_UWALK_* */
	__u8 nrd; /* words this step read, for the stack cache */
	__u8 uret; /* a return address was the uretprobe trampoline's: the walk is not cached */
	__u8 entry; /* the leaf is at a function's first instruction (an entry uprobe) */
	__u64 rd_addr[3], rd_val[3];
	/*
	 * Pending uretprobes: the kernel replaced the return addresses of the
	 * probed calls in progress with its trampoline's, keeping the real ones
	 * in the task's return instances (each with the stack slot it took).
	 */
	__u64 tramp; /* the trampoline's address, 0 when the process has none */
	__u64 ri; /* task->utask->return_instances, innermost first */
	__u64 ra_at; /* where this step read the return address (0: not from the stack) */
	__u64 sig[7]; /* a sigframe's bp, bx, dx, ax, cx, sp, ip */
	__u64 uret_at; /* this step's return address was the trampoline, read here */
};

/* What lt_unwind_range() found for a pc. */
struct lt_range {
	__u64 start, end; /* the range the answer holds for */
	__u64 bias;
	__u32 tab_first, tab_nrows; /* nrows 0: no table, frame pointers */
	__u32 mapped; /* the range is an executable mapping; 0: between mappings */
};

/*
 * Walk state shared by the bpf_loop() steps: scalars, in a per-CPU map value
 * rather than on the stack (older kernels limit a call chain's stack to 512
 * bytes, and the steps call two functions deep).
 */
struct lt_walk {
	struct lt_wstate s;
	__u32 tgid;
	__u32 n; /* frames stored */
	__u32 nrec; /* words recorded in sc */
	__u32 span; /* bytes from sc_base past the highest recorded word */
	__u64 sc_base; /* the start sp & ~7: recorded words are indexed from it */
	__u8 nocache; /* the walk depended on more than the words it recorded */
	struct lt_range r; /* the leaf's range, found before the walk */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_walk);
} lt_walk_scratch SEC(".maps");

/* What the loop's steps need besides the state: pointers, so on the stack. */
struct lt_walk_ctx {
	struct lt_walk *w;
	struct lt_ustack *st; /* the per-CPU frame buffer, looked up once per walk */
	struct lt_sc_way *sc; /* where the words the walk reads are recorded, or NULL */
};

/* What bpf_find_vma() found for the leaf pc. */
struct lt_vma_res {
	__u64 start, end, pgoff, ino;
	__u32 dev;
	__u32 have_file;
};

/* Record that the walk read val at addr, for lt_ustack_get_sc()'s cache. */
static __always_inline void lt_walk_rec(struct lt_walk_ctx *x, __u64 addr, __u64 val)
{
	struct lt_walk *w = x->w;
	struct lt_sc_way *c = x->sc;
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
	struct lt_vma_res *v = data;
	struct file *f = vma->vm_file;

	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->pgoff = vma->vm_pgoff;
	if (f) {
		v->ino = f->f_inode->i_ino;
		v->dev = f->f_inode->i_sb->s_dev;
		v->have_file = 1;
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

#define LT_URET_MAX 64 /* return instances searched for a hijacked return address */

/*
 * Where the current task's pending uretprobes are: into s->ri, s->tramp.
 * Global, and called on its own, so that its reads take no room in the
 * calling program's frame (the 512 bytes a call chain may use hold the
 * unwinder's frames too).
 */
__attribute__((noinline)) int lt_uret_seed(struct lt_wstate *s)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct uprobe_task *ut;
	struct xol_area *xa;

	if (!s)
		return 0;
	ut = BPF_CORE_READ(t, utask);
	if (!ut)
		return 0;
	s->ri = (__u64)BPF_CORE_READ(ut, return_instances);
	xa = BPF_CORE_READ(t, mm, uprobes_state.xol_area);
	s->tramp = s->ri && xa ? BPF_CORE_READ(xa, vaddr) : 0;
	return 0;
}

/*
 * Find the process's published list. Without one (started or exec'd after
 * attach, not published yet, or published without the leaf's mapping): ask
 * user space to publish it, and meanwhile
 * look up the VMA of the leaf pc. bpf_find_vma() works only once per
 * sched_switch, so it is called once, here, before the walk.
 */
static __always_inline void lt_walk_seed(struct lt_walk *w, struct task_struct *task)
{
	struct lt_wstate *s = &w->s;
	struct lt_vma_res v = {};
	struct lt_unwind_proc *pl;
	struct lt_unwind_key k = {};
	struct lt_unwind_tab *t;
	__u8 why = LT_WANT_MET;
	long err;

	/* Calls with a uretprobe pending have the trampoline for return address. */
	lt_uret_seed(s);
	pl = bpf_map_lookup_elem(&lt_unwind_procs, &w->tgid);
	if (pl) {
		struct lt_range *r = &w->r;

		/* The leaf is code the process runs: its list must have it. */
		if (lt_unwind_range(pl->first, pl->n, s->pc, r) && r->mapped) {
			s->pfirst = pl->first;
			s->pn = pl->n;
			s->have_list = 1;
			s->vm_start = r->start;
			s->vm_end = r->end;
			s->bias = r->bias;
			s->tab_first = r->tab_first;
			s->tab_nrows = r->tab_nrows;
			s->in_map = 1;
			return;
		}
		/* Published before ld.so mapped what it runs: as good as none. */
	}
	/* Frames outside the leaf's VMA will be unwound by frame pointer. */
	lt_stat_inc(LT_STAT_UNWIND_UNKNOWN);
	s->flags |= LT_UWALK_NOMAPS;
	w->nocache = 1;
	err = bpf_map_update_elem(&lt_unwind_want, &w->tgid, &why, BPF_NOEXIST);
	if (err && err != -EEXIST)
		lt_stat_inc(LT_STAT_WANT_FULL);
	if (bpf_find_vma(task, s->pc, lt_vma_cb, &v, 0))
		return;
	s->vm_start = v.start;
	s->vm_end = v.end;
	s->bias = v.start - (v.pgoff << 12);
	s->tab_nrows = 0;
	if (v.have_file) {
		k.dev = v.dev;
		k.ino = v.ino;
		t = bpf_map_lookup_elem(&lt_unwind_tabs, &k);
		if (t) {
			s->tab_first = t->first;
			s->tab_nrows = t->nrows;
		}
	}
	s->seed_start = s->vm_start;
	s->seed_end = s->vm_end;
	s->seed_bias = s->bias;
	s->seed_first = s->tab_first;
	s->seed_nrows = s->tab_nrows;
}

/*
 * Find the CFI table covering pc and cache the range it holds for, from the
 * leaf's VMA or the process's list. Without either, tab_nrows is 0: unwind
 * by frame pointer.
 */
static __always_inline void lt_walk_vma(struct lt_wstate *s, __u64 pc)
{
	struct lt_range r;

	if (pc >= s->vm_start && pc < s->vm_end)
		return;
	s->tab_nrows = 0;
	s->in_map = 0;
	s->vm_start = s->vm_end = 0;
	if (!s->have_list) {
		/* Only the leaf's VMA is known: its table where pc is back in it. */
		if (pc >= s->seed_start && pc < s->seed_end) {
			s->vm_start = s->seed_start;
			s->vm_end = s->seed_end;
			s->bias = s->seed_bias;
			s->tab_first = s->seed_first;
			s->tab_nrows = s->seed_nrows;
		}
		return;
	}
	if (!lt_unwind_range(s->pfirst, s->pn, pc, &r))
		return;
	s->vm_start = r.start;
	s->vm_end = r.end;
	s->bias = r.bias;
	s->tab_first = r.tab_first;
	s->tab_nrows = r.tab_nrows;
	s->in_map = r.mapped;
}

/* Is addr code of the process? Only a published list can say yes. */
static __always_inline bool lt_walk_is_code(struct lt_wstate *s, __u64 addr)
{
	struct lt_range r;

	if (!s->have_list)
		return false;
	if (addr >= s->vm_start && addr < s->vm_end)
		return s->in_map;
	return lt_unwind_range(s->pfirst, s->pn, addr, &r) && r.mapped;
}

/* Word n (a constant: older verifiers lose variable indices here) read this step. */
#define LT_WRD(s, n, addr, val)           \
	do {                              \
		(s)->rd_addr[n] = (addr); \
		(s)->rd_val[n] = (val);   \
		(s)->nrd = (n) + 1;       \
	} while (0)

enum { LT_STEP_ON = 0, LT_STEP_STOP = 1, LT_STEP_DROP = 2 };

/*
 * The step found the uretprobe trampoline's address for return address,
 * read at s->uret_at: the real one is in the return instance that took
 * that slot. Into s->pc; LT_STEP_STOP (s->end set) when none has it.
 * Global: called beside lt_walk_next, not inside it, for the same reason.
 */
__attribute__((noinline)) int lt_uret_fix(struct lt_wstate *s)
{
	struct return_instance *ri;

	if (!s)
		return LT_STEP_STOP;
	ri = (void *)s->ri;
	s->uret = 1;
	for (int i = 0; i < LT_URET_MAX && ri; i++) {
		if (BPF_CORE_READ(ri, stack) == s->uret_at) {
			s->pc = BPF_CORE_READ(ri, orig_ret_vaddr);
			s->uret_at = 0;
			if (s->pc)
				return LT_STEP_ON;
			break;
		}
		ri = BPF_CORE_READ(ri, next);
	}
	s->uret_at = 0;
	s->end = LT_UEND_CHAIN;
	return LT_STEP_STOP;
}

/*
 * One frame up from s->pc (frame s->i): by CFI where the file has a table,
 * through the sigframe at the signal trampoline, by frame pointer elsewhere.
 * Returns LT_STEP_ON with the caller in s->pc, LT_STEP_STOP with s->end
 * set, or LT_STEP_DROP when frame i itself is no code of the process. The
 * words read are left in s->rd_*. Global, so the verifier checks it once.
 */
__attribute__((noinline)) int lt_walk_next(struct lt_wstate *s)
{
	/* A return address is looked up at the call instruction, before it. */
	__u64 pc, cfa, ra;

	if (!s)
		return LT_STEP_STOP;
	pc = s->i == 0 || s->exact ? s->pc : s->pc - 1;
	s->exact = 0;
	s->mark_exact = 0;
	s->nrd = 0;
	s->ra_at = 0; /* in the state, not a local: this frame must stay small */
	lt_walk_vma(s, pc);
	/*
	 * At a function's first instruction (an entry uprobe) the return
	 * address is at sp, whatever the function's CFI or frame pointer
	 * says further in: its frame is not set up yet.
	 */
	if (s->i == 0 && s->entry) {
		if (bpf_probe_read_user(&ra, sizeof(ra), (void *)s->sp))
			goto fault;
		LT_WRD(s, 0, s->sp, ra);
		s->ra_at = s->sp;
		s->sp += 8;
		goto done;
	}
	/*
	 * A return address that is no code of the process (a frame pointer
	 * chain's garbage at the top of a stack): drop it and stop.
	 */
	if (s->i > 0 && s->have_list && !s->in_map) {
		s->end = LT_UEND_CHAIN;
		return LT_STEP_DROP;
	}
	if (s->tab_nrows) {
		__u32 off = pc - s->bias;
		int idx = lt_unwind_row_find(s->tab_first, s->tab_nrows, off);
		struct lt_unwind_row *row = NULL;

		if (idx >= 0)
			row = bpf_map_lookup_elem(&lt_unwind_rows, &idx);
		if (row && row->cfa_reg == LT_CFA_SIGNAL) {
			/*
			 * The trampoline: the interrupted registers are in the
			 * sigframe (bp, bx, dx, ax, cx, sp, ip), read into the
			 * state: this frame must stay small (6.1 allows 512 bytes
			 * for the whole call chain).
			 */
			__u64 at = s->sp + LT_SIGFRAME_BP;

			if (bpf_probe_read_user(s->sig, sizeof(s->sig), (void *)at))
				goto fault;
			LT_WRD(s, 0, at, s->sig[0]);
			LT_WRD(s, 1, at + (LT_SIGFRAME_SP - LT_SIGFRAME_BP), s->sig[5]);
			LT_WRD(s, 2, at + (LT_SIGFRAME_IP - LT_SIGFRAME_BP), s->sig[6]);
			s->bp = s->sig[0];
			s->sp = s->sig[5];
			ra = s->sig[6];
			/* Both are named at their own address, not the one before. */
			s->mark_exact = 1;
			s->exact = 1;
			s->flags |= LT_UWALK_SIGNAL;
			goto done;
		}
		if (row && row->cfa_reg != LT_CFA_UNDEF) {
			if (row->cfa_reg == LT_CFA_RSP)
				cfa = s->sp + row->cfa_off;
			else if (row->cfa_reg == LT_CFA_RBP)
				cfa = s->bp + row->cfa_off;
			else /* PLT: rsp + 8, + 8 more once the stub has pushed */
				cfa = s->sp + row->cfa_off + (((s->pc & 15) >= 11) ? 8 : 0);
			if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8)))
				goto fault;
			LT_WRD(s, 0, cfa - 8, ra);
			s->ra_at = cfa - 8;
			if (row->rbp_off) {
				if (bpf_probe_read_user(&s->bp, sizeof(s->bp),
							(void *)(cfa + row->rbp_off)))
					goto fault;
				LT_WRD(s, 1, cfa + row->rbp_off, s->bp);
			}
			s->sp = cfa;
			goto done;
		}
	}

	/* Frame pointer: [rbp] = caller's rbp, [rbp + 8] = return address. */
	{
		struct {
			__u64 bp, ra;
		} fr;

		if (!s->bp || (s->bp & 7)) {
			s->end = LT_UEND_CHAIN;
			return LT_STEP_STOP;
		}
		if (bpf_probe_read_user(&fr, sizeof(fr), (void *)s->bp))
			goto fault;
		/*
		 * Frames grow upwards; a lower frame pointer is a stack switch
		 * (Go's mcall and systemstack run on g0 with the goroutine's rbp
		 * chained), followed when it leads to code of the process.
		 */
		if (s->bp < s->sp) {
			if (!lt_walk_is_code(s, fr.ra)) {
				s->end = LT_UEND_CHAIN;
				return LT_STEP_STOP;
			}
			if (s->switches >= LT_UWALK_MAX_SWITCHES) {
				s->end = LT_UEND_SWITCHES;
				return LT_STEP_STOP;
			}
			s->switches++;
			s->flags |= LT_UWALK_SWITCH;
		}
		LT_WRD(s, 0, s->bp, fr.bp);
		LT_WRD(s, 1, s->bp + 8, fr.ra);
		ra = fr.ra;
		s->ra_at = s->bp + 8;
		s->sp = s->bp + 16;
		s->bp = fr.bp;
	}
done:
	/* The uretprobe trampoline's: lt_uret_fix() finds the real one. */
	if (ra && ra == s->tramp)
		s->uret_at = s->ra_at;
	if (!ra) {
		s->end = LT_UEND_CHAIN;
		return LT_STEP_STOP;
	}
	s->pc = ra;
	return LT_STEP_ON;
fault:
	s->end = LT_UEND_FAULT;
	return LT_STEP_STOP;
}

/*
 * st->ips[k] = v, or |= v with `or`; -1 when k is out of range. A 64-bit
 * index bounded on the register that indexes: the verifier loses a 32-bit
 * one's bound across the compiler's zero-extensions.
 */
static __always_inline int lt_ips_set(struct lt_ustack *st, __u64 k, __u64 v, bool or)
{
	asm volatile("" : "+r"(k));
	if (k >= LT_MAX_STACK_DEPTH)
		return -1;
	if (or)
		st->ips[k] |= v;
	else
		st->ips[k] = v;
	return 0;
}

/* One frame, in a bpf_loop(): the step, then what only the loop may touch. */
static long lt_walk_step(__u32 i, void *data)
{
	struct lt_walk_ctx *x = data;
	struct lt_walk *w = x->w;
	/*
	 * Step i stores frame i + 1 (frame 0 is the interrupted pc). Indexing by
	 * i, which the verifier treats as unknown, rather than by a counter in
	 * w lets it verify this callback once instead of once per iteration.
	 */
	__u32 slot = i + 1;
	struct lt_ustack *st = x->st;
	__u64 ip;
	int r;

	if (slot >= lt_ustack_depth || slot >= LT_MAX_STACK_DEPTH) {
		w->s.end = LT_UEND_DEPTH;
		w->nocache = 1;
		return 1;
	}
	w->s.i = i;
	r = lt_walk_next(&w->s);
	if (r == LT_STEP_ON && w->s.uret_at)
		r = lt_uret_fix(&w->s);
	if (w->s.nrd > 0)
		lt_walk_rec(x, w->s.rd_addr[0], w->s.rd_val[0]);
	if (w->s.nrd > 1)
		lt_walk_rec(x, w->s.rd_addr[1], w->s.rd_val[1]);
	if (w->s.nrd > 2)
		lt_walk_rec(x, w->s.rd_addr[2], w->s.rd_val[2]);
	/* Where the stack ends unreadable, a bulk re-read proves nothing. */
	if (w->s.end == LT_UEND_FAULT || w->s.uret)
		w->nocache = 1;
	if (r == LT_STEP_DROP) {
		w->n = i;
		return 1;
	}
	if (w->s.mark_exact)
		lt_ips_set(st, i, LT_USTACK_EXACT, true);
	if (r != LT_STEP_ON)
		return 1;
	ip = w->s.exact ? w->s.pc | LT_USTACK_EXACT : w->s.pc;
	if (lt_ips_set(st, slot, ip, false))
		return 1;
	w->n = slot + 1;
	return 0;
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
 * Copy the current task's registers and the stack above them for user space
 * to walk again (the walk had no mapping list): up to LT_USTACK_COPY_BYTES,
 * page by page, as far as the stack is mapped. Counted when the ring buffer
 * is full.
 */
static __always_inline void lt_ustack_copy(__u32 tgid, __u64 key, struct pt_regs *regs)
{
	struct lt_ustack_copy *c = bpf_ringbuf_reserve(&lt_ustack_copies, sizeof(*c), 0);
	__u64 off = 0, chunk;

	if (!c) {
		lt_stat_inc(LT_STAT_COPY_LOST);
		return;
	}
	c->key = key;
	c->tgid = tgid;
	c->ip = regs->ip;
	c->sp = regs->sp;
	c->bp = regs->bp;
	/* Page by page from sp, as far as the stack goes (up to its VMA's top). */
	chunk = 4096 - (c->sp & 4095);
	for (int k = 0; k < LT_USTACK_COPY_BYTES / 4096 + 1; k++) {
		asm volatile("" : "+r"(off), "+r"(chunk));
		if (off > LT_USTACK_COPY_BYTES - 4096 || chunk > 4096 || !chunk)
			break;
		if (bpf_probe_read_user(c->data + off, chunk, (void *)(c->sp + off)))
			break;
		off += chunk;
		chunk = 4096;
	}
	c->len = off;
	bpf_ringbuf_submit(c, 0);
}

/*
 * The cached user stack of the current task when its registers, image and
 * every word its last walk read are unchanged: then a walk would give the
 * same frames. Returns the stack's key, or 0 when it must be walked.
 */
static __always_inline __u64 lt_ustack_cached(struct task_struct *task, struct pt_regs *regs,
					      struct lt_sc_way *c, __u64 gen)
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
static __always_inline __u64 lt_ustack_get_sc(void *ctx, struct lt_scache *sc, bool entry)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct lt_walk_ctx x = {};
	struct lt_sc_way *way = NULL;
	struct lt_walk *w;
	struct lt_ustack *st, *old;
	struct pt_regs *regs = NULL;
	struct lt_hash_ctx hc = { .h = 0x9e3779b97f4a7c15ULL };
	__u32 zero = 0, n, tgid, mru = 0;
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
			/* The way that hit last, then the other; a miss refills the other. */
			mru = sc->u_mru & 1;
			gen = lt_sc_gen();
			h = lt_ustack_cached(task, regs, &sc->w[mru], gen);
			if (h)
				return h;
			way = &sc->w[mru ^ 1];
			h = lt_ustack_cached(task, regs, way, gen);
			if (h) {
				sc->u_mru = mru ^ 1;
				return h;
			}
			way->u_valid = 0;
			x.sc = way;
		}
	}
	st = bpf_map_lookup_elem(&lt_ustack_scratch, &zero);
	w = bpf_map_lookup_elem(&lt_walk_scratch, &zero);
	if (!st || !w)
		return LT_NO_USTACK;
	__builtin_memset(w, 0, sizeof(*w));
	tgid = bpf_get_current_pid_tgid() >> 32;

	if (lt_ustack_mode == LT_USTACK_FP) {
		long sz = bpf_get_stack(ctx, st->ips, lt_ustack_depth * sizeof(__u64),
					BPF_F_USER_STACK);

		if (sz <= 0) {
			lt_stat_inc(LT_STAT_USTACK_FAULT);
			return LT_NO_USTACK;
		}
		n = sz / sizeof(__u64);
		/* Not snapshotted yet (forked after attach): ask user space to, for symbols. */
		if (!bpf_map_lookup_elem(&lt_unwind_procs, &tgid))
			bpf_map_update_elem(&lt_unwind_want, &tgid, &one, BPF_NOEXIST);
	} else {
		x.w = w;
		x.st = st;
		w->tgid = tgid;
		w->s.pc = regs->ip;
		w->s.sp = regs->sp;
		w->s.bp = regs->bp;
		w->s.entry = entry;
		w->sc_base = w->s.sp & ~7ULL;
		if (!w->s.pc) {
			lt_stat_inc(LT_STAT_USTACK_FAULT);
			return LT_NO_USTACK;
		}
		st->ips[0] = w->s.pc;
		w->n = 1;
		lt_walk_seed(w, task);
		bpf_loop(LT_MAX_STACK_DEPTH, lt_walk_step, &x, 0);
		if (w->s.end == LT_UEND_DEPTH)
			lt_stat_inc(LT_STAT_USTACK_TRUNC);
		n = w->n;
	}

	st->end = w->s.end;
	st->flags = w->s.flags;
	hc.st = st;
	bpf_loop(n, lt_hash_step, &hc, 0);
	h = hc.h ?: 1;
	if (n < LT_MAX_STACK_DEPTH)
		st->ips[n] = 0;
	/* Seen before (the common case): no update, no bucket lock. */
	old = bpf_map_lookup_elem(&lt_ustacks, &h);
	if (old) {
		/* Another process's: user space must not forget it when its owner exits. */
		if (old->tgid != tgid && !old->shared)
			old->shared = 1;
	} else {
		st->tgid = tgid;
		st->shared = 0;
		err = bpf_map_update_elem(&lt_ustacks, &h, st, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			lt_stat_inc(LT_STAT_USTACK_FULL);
			return LT_NO_USTACK;
		}
		if (!err)
			lt_stat_inc(LT_STAT_USTACK_NEW);
		/* Stored by another CPU meanwhile: maybe another process's. */
		if (err && (old = bpf_map_lookup_elem(&lt_ustacks, &h)) && old->tgid != tgid)
			old->shared = 1;
		/* New, and walked without the list: keep what a second walk needs. */
		if (!err && regs && (w->s.flags & LT_UWALK_NOMAPS))
			lt_ustack_copy(tgid, h, regs);
	}
	if (way && regs && !w->nocache) {
		way->u_pc = regs->ip;
		way->u_sp = regs->sp;
		way->u_bp = regs->bp;
		way->u_n = w->nrec;
		way->u_span = w->span;
		way->u_id = h;
		way->u_gen = gen;
		way->u_exec = task->self_exec_id;
		way->u_valid = 1;
		sc->u_mru = mru ^ 1;
	}
	return h;
}

/*
 * The current task's user stack, through its stack cache sc (or NULL), if
 * the trace takes user stacks; else LT_NO_USTACK.
 */
static __always_inline __u64 lt_ustack_want(void *ctx, struct lt_scache *sc)
{
	return lt_want_ustack ? lt_ustack_get_sc(ctx, sc, false) : LT_NO_USTACK;
}

/*
 * The same at a function's entry (a uprobe on its first instruction): the
 * caller is found at sp, before the function has set up its frame, so a
 * program with frame pointers does not lose it.
 */
static __always_inline __u64 lt_ustack_want_entry(void *ctx, struct lt_scache *sc)
{
	return lt_want_ustack ? lt_ustack_get_sc(ctx, sc, true) : LT_NO_USTACK;
}

/*
 * The key of an event of the current task, now: its process, thread and
 * comm, the stacks the trace takes (the user one through the stack cache
 * sc, or NULL; entry: at a function's first instruction, see
 * lt_ustack_want_entry), and the tool's aux. aux2 is left as it is.
 */
static __always_inline void lt_key_current_at(struct lt_stack_key *k, void *ctx,
					      struct lt_scache *sc, __u32 aux, bool entry)
{
	__u64 id = bpf_get_current_pid_tgid();

	k->tgid = id >> 32;
	k->pid = (__u32)id;
	k->aux = aux;
	k->kstack = lt_kstack_want(ctx);
	k->ustack = lt_want_ustack ? lt_ustack_get_sc(ctx, sc, entry) : LT_NO_USTACK;
	bpf_get_current_comm(k->comm, sizeof(k->comm));
}

static __always_inline void lt_key_current(struct lt_stack_key *k, void *ctx, struct lt_scache *sc,
					   __u32 aux)
{
	lt_key_current_at(k, ctx, sc, aux, false);
}

#endif
