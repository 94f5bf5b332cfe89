// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof alloc, hot mode: the bytes each allocation call asks for, per user
 * stack, from uprobes on the entry of the allocator the target really uses
 * (glibc, jemalloc, tcmalloc: user space finds it), in bursts or on every
 * call (user/alloc.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "target.bpf.h"
#include "stack_agg.bpf.h"
#define LT_SC_TASK /* per-thread stack cache in task storage */
#include "ustack.bpf.h"
#include "alloc.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 sample_rate = 1; /* --sample-rate: one in N */
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
const volatile __u8 value_count = 0; /* --value count: each allocation counts 1 */
const volatile __u8 leak_mode = 0; /* --leaks */
/*
 * The uprobes are attached (user space sets it around each burst; always,
 * with --every-call): mmap, mremap and brk count only then, so what the
 * syscalls add is sampled in the same windows as malloc & co.
 */
volatile __u8 alloc_on = 0;

/* --leaks: a call between its entry and its return, by thread. */
struct alloc_pending {
	__u64 size;
	__u64 ustack;
	__u64 old; /* realloc: the block it replaces */
	__u64 memptr; /* posix_memalign: where the result goes */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct alloc_pending);
} alloc_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20); /* live allocations tracked */
	__type(key, __u64);
	__type(value, struct alloc_live);
} alloc_live SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ALLOC_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} alloc_stats SEC(".maps");

static __always_inline void stat_inc(__u32 s)
{
	__u64 *v = bpf_map_lookup_elem(&alloc_stats, &s);

	if (v)
		(*v)++;
}

static __always_inline void record_ex(void *ctx, __u64 size, __u64 old, __u64 memptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_stack_key k = {};
	__u32 zero = ALLOC_STAT_CALLS;
	__u64 *calls;

	if (!lt_current_selected(id >> 32, (__u32)id))
		return;
	calls = bpf_map_lookup_elem(&alloc_stats, &zero);
	if (calls)
		(*calls)++;
	if (size < min_size || size > max_size)
		return;
	/* One in sample_rate, weighted by it: the totals stay unbiased. */
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return;
	if (leak_mode) {
		/* The stack now, the address at the return (alloc_ret). */
		struct alloc_pending p = { .size = size, .old = old, .memptr = memptr };
		__u32 tid = (__u32)id;

		p.ustack = lt_ustack_want_entry(ctx, lt_sc_task_get());
		bpf_map_update_elem(&alloc_pending, &tid, &p, BPF_ANY);
		return;
	}
	/* At the allocator's entry: its caller is at sp (ustack.bpf.h). */
	lt_key_current_at(&k, ctx, lt_sc_task_get(), 0, true);
	lt_agg_add_n(&k, value_count ? 1 : size, 0, sample_rate);
}

/* --leaks: an allocation call returned; ret is its address (posix_memalign: 0 ok). */
static __always_inline void alloc_ret(__u64 ret)
{
	__u64 id = bpf_get_current_pid_tgid(), addr = ret;
	__u32 tid = (__u32)id;
	struct alloc_pending *p = bpf_map_lookup_elem(&alloc_pending, &tid);
	struct alloc_live l = {};

	if (!p)
		return;
	if (p->memptr) { /* posix_memalign: 0 on success, the block in *memptr */
		addr = 0;
		if (ret == 0)
			bpf_probe_read_user(&addr, sizeof(addr), (void *)p->memptr);
	}
	if (addr) {
		if (p->old) /* realloc moved or kept the block: the old one is gone */
			bpf_map_delete_elem(&alloc_live, &p->old);
		l.size = p->size;
		l.ts_ns = bpf_ktime_get_ns();
		l.kstack = LT_NO_KSTACK;
		l.ustack = p->ustack;
		l.tgid = id >> 32;
		l.pid = tid;
		l.weight = sample_rate;
		bpf_get_current_comm(l.comm, sizeof(l.comm));
		if (bpf_map_update_elem(&alloc_live, &addr, &l, BPF_ANY))
			stat_inc(ALLOC_STAT_LEAK_FULL);
	}
	bpf_map_delete_elem(&alloc_pending, &tid);
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_ret_probe, __u64 ret)
{
	alloc_ret(ret);
	return 0;
}

/*
 * The entry of every allocation function, and of free and operator delete
 * under --leaks. The attach cookie says which (enum alloc_fn): where its size
 * is. One program for all, so one uprobe_multi link per target takes them
 * all at once (a burst, user/alloc.c).
 */
SEC("uprobe")
int BPF_KPROBE(alloc_entry, __u64 a0, __u64 a1, __u64 a2)
{
	__u64 size = a0, old = 0, memptr = 0;

	switch (bpf_get_attach_cookie(ctx)) {
	case ALLOC_FN_MALLOC: break;
	case ALLOC_FN_CALLOC: size = a0 * a1; break;
	case ALLOC_FN_SIZE_SECOND: size = a1; break; /* memalign, aligned_alloc */
	case ALLOC_FN_REALLOC:
		size = a1;
		old = a0;
		break;
	case ALLOC_FN_REALLOCARRAY:
		size = a1 * a2;
		old = a0;
		break;
	case ALLOC_FN_POSIX_MEMALIGN:
		size = a2;
		memptr = a0;
		break;
	case ALLOC_FN_FREE:
		if (a0)
			bpf_map_delete_elem(&alloc_live, &a0);
		return 0;
	default: return 0;
	}
	record_ex(ctx, size, old, memptr);
	return 0;
}

/* ---- --kernel and --faults: tracepoints ------------------------------- */

/*
 * One kernel allocation of `bytes` (kind: enum alloc_kernel_kind), by the
 * current task; `addr` identifies it until it is freed (the pointer; for
 * pages, the pfn with the top bit set, so the two never collide).
 */
static __always_inline void kernel_alloc(void *ctx, __u64 bytes, __u32 kind, __u64 addr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_stack_key k = {};

	if (!lt_current_selected(id >> 32, (__u32)id))
		return;
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return;
	if (leak_mode) { /* --kernel --leaks: live until kfree & co */
		struct alloc_live l = { .size = bytes, .kind = kind, .weight = sample_rate };

		l.ts_ns = bpf_ktime_get_ns();
		l.tgid = id >> 32;
		l.pid = (__u32)id;
		l.ustack = lt_ustack_want(ctx, lt_sc_task_get());
		l.kstack = lt_kstack_want(ctx);
		bpf_get_current_comm(l.comm, sizeof(l.comm));
		if (bpf_map_update_elem(&alloc_live, &addr, &l, BPF_ANY))
			stat_inc(ALLOC_STAT_LEAK_FULL);
		return;
	}
	lt_key_current(&k, ctx, lt_sc_task_get(), kind);
	lt_agg_add_n(&k, value_count ? 1 : bytes, 0, sample_rate);
}

SEC("tracepoint/kmem/kmalloc")
int alloc_kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	kernel_alloc(ctx, BPF_CORE_READ(ctx, bytes_alloc), ALLOC_K_KMALLOC,
		     (__u64)BPF_CORE_READ(ctx, ptr));
	return 0;
}

SEC("tracepoint/kmem/kmem_cache_alloc")
int alloc_kmem_cache(struct trace_event_raw_kmem_cache_alloc *ctx)
{
	kernel_alloc(ctx, BPF_CORE_READ(ctx, bytes_alloc), ALLOC_K_CACHE,
		     (__u64)BPF_CORE_READ(ctx, ptr));
	return 0;
}

SEC("tracepoint/kmem/mm_page_alloc")
int alloc_pages(struct trace_event_raw_mm_page_alloc *ctx)
{
	kernel_alloc(ctx, 4096ULL << BPF_CORE_READ(ctx, order), ALLOC_K_PAGES,
		     BPF_CORE_READ(ctx, pfn) | 1ULL << 63);
	return 0;
}

/* --kernel --leaks: what is freed is no longer outstanding. */
SEC("tracepoint/kmem/kfree")
int alloc_kfree(struct trace_event_raw_kfree *ctx)
{
	__u64 addr = (__u64)BPF_CORE_READ(ctx, ptr);

	bpf_map_delete_elem(&alloc_live, &addr);
	return 0;
}

SEC("tracepoint/kmem/kmem_cache_free")
int alloc_kmem_cache_free(struct trace_event_raw_kmem_cache_free *ctx)
{
	__u64 addr = (__u64)BPF_CORE_READ(ctx, ptr);

	bpf_map_delete_elem(&alloc_live, &addr);
	return 0;
}

SEC("tracepoint/kmem/mm_page_free")
int alloc_page_free(struct trace_event_raw_mm_page_free *ctx)
{
	__u64 addr = BPF_CORE_READ(ctx, pfn) | 1ULL << 63;

	bpf_map_delete_elem(&alloc_live, &addr);
	return 0;
}

/* A page fault in user mode: where RSS grows. Each counts 1 (unit: faults). */
SEC("tracepoint/exceptions/page_fault_user")
int alloc_fault(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_stack_key k = {};

	if (!lt_current_selected(id >> 32, (__u32)id))
		return 0;
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return 0;
	lt_key_current(&k, ctx, lt_sc_task_get(), 0);
	lt_agg_add_n(&k, 1, 0, sample_rate);
	return 0;
}

/* ---- mmap, munmap, mremap, brk: syscall tracepoints (--hot, --leaks) --- */

/* The raw layout of syscalls:sys_enter_* and sys_exit_* records. */
struct alloc_sys_enter {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct alloc_sys_exit {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* An mmap in flight, by thread: its length, until its address comes back. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct alloc_pending);
} alloc_mmaps SEC(".maps");

/* Memory a syscall added (kind: enum alloc_sys_kind): a sample like malloc's. */
static __always_inline void sys_grow(void *ctx, __u64 bytes, __u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_stack_key k = {};

	if (!bytes || !alloc_on || !lt_current_selected(id >> 32, (__u32)id))
		return;
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return;
	lt_key_current(&k, ctx, lt_sc_task_get(), kind);
	lt_agg_add_n(&k, value_count ? 1 : bytes, 0, sample_rate);
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int alloc_mmap_enter(struct alloc_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct alloc_pending p = { .size = ctx->args[1] };
	__u32 tid = (__u32)id;

	if (!alloc_on || !lt_current_selected(id >> 32, tid))
		return 0;
	if (!leak_mode) {
		sys_grow(ctx, p.size, ALLOC_SYS_MMAP);
		return 0;
	}
	p.ustack = lt_ustack_want(ctx, lt_sc_task_get());
	bpf_map_update_elem(&alloc_mmaps, &tid, &p, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int alloc_mmap_exit(struct alloc_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), addr = (__u64)ctx->ret;
	__u32 tid = (__u32)id;
	struct alloc_pending *p = bpf_map_lookup_elem(&alloc_mmaps, &tid);
	struct alloc_live l = {};

	if (!p)
		return 0;
	if (ctx->ret > 0 || ctx->ret < -4095) { /* an address, not -errno */
		l.size = p->size;
		l.ts_ns = bpf_ktime_get_ns();
		l.kstack = LT_NO_KSTACK;
		l.ustack = p->ustack;
		l.tgid = id >> 32;
		l.pid = tid;
		l.weight = 1;
		l.kind = ALLOC_SYS_MMAP;
		bpf_get_current_comm(l.comm, sizeof(l.comm));
		if (bpf_map_update_elem(&alloc_live, &addr, &l, BPF_ANY))
			stat_inc(ALLOC_STAT_LEAK_FULL);
	}
	bpf_map_delete_elem(&alloc_mmaps, &tid);
	return 0;
}

/* munmap(addr, len): a mapping made under --leaks is gone (whole-mapping unmaps). */
SEC("tracepoint/syscalls/sys_enter_munmap")
int alloc_munmap(struct alloc_sys_enter *ctx)
{
	__u64 addr = ctx->args[0];

	if (leak_mode)
		bpf_map_delete_elem(&alloc_live, &addr);
	return 0;
}

/* mremap(old, old_len, new_len, ...): growth is new memory. */
SEC("tracepoint/syscalls/sys_enter_mremap")
int alloc_mremap(struct alloc_sys_enter *ctx)
{
	__u64 old_len = ctx->args[1], new_len = ctx->args[2];

	if (!leak_mode && new_len > old_len)
		sys_grow(ctx, new_len - old_len, ALLOC_SYS_MREMAP);
	return 0;
}

/* brk(addr): growth past the current break is new heap. */
SEC("tracepoint/syscalls/sys_enter_brk")
int alloc_brk(struct alloc_sys_enter *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 want = ctx->args[0], cur = BPF_CORE_READ(task, mm, brk);

	if (!leak_mode && want > cur)
		sys_grow(ctx, want - cur, ALLOC_SYS_BRK);
	return 0;
}
