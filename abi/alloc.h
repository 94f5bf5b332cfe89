/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * latprof alloc: what crosses between its BPF program and user space. Hot
 * mode aggregates into the shared stack map: value = bytes requested, count
 * = allocations (each sampled one weighted by the sample rate).
 */
#ifndef LT_ALLOC_H
#define LT_ALLOC_H
#include "lt_types.h"

#include "stack_agg.h"

/* Per-CPU counters of alloc's own (alloc_stats). */
enum alloc_stat {
	ALLOC_STAT_CALLS, /* allocation calls seen, sampled or not */
	ALLOC_STAT_LEAK_FULL, /* --leaks: allocations not tracked, map full */
	ALLOC_STAT_NR,
};

/* The attach cookie of alloc_entry: which function a uprobe is on, so where its size is. */
enum alloc_fn {
	ALLOC_FN_MALLOC, /* malloc(size), valloc, pvalloc, operator new(size, ...) */
	ALLOC_FN_CALLOC, /* calloc(nmemb, size) */
	ALLOC_FN_SIZE_SECOND, /* memalign(align, size), aligned_alloc */
	ALLOC_FN_REALLOCARRAY, /* reallocarray(ptr, nmemb, size) */
	ALLOC_FN_POSIX_MEMALIGN, /* posix_memalign(memptr, align, size) */
	ALLOC_FN_REALLOC, /* realloc(ptr, size) */
	ALLOC_FN_FREE, /* free(ptr), operator delete(ptr, ...): --leaks only */
};

/* --kernel: lt_stack_key.aux, the kind of kernel allocation. */
enum alloc_kernel_kind {
	ALLOC_K_KMALLOC,
	ALLOC_K_CACHE,
	ALLOC_K_PAGES,
};

/* lt_stack_key.aux of memory that syscalls added (--hot, --leaks); 0 is malloc & co. */
enum alloc_sys_kind {
	ALLOC_SYS_MMAP = 8,
	ALLOC_SYS_MREMAP,
	ALLOC_SYS_BRK,
};

/* --leaks: an allocation not freed yet (alloc_live, keyed by its address). */
struct alloc_live {
	__u64 size;
	__u64 ts_ns; /* when it was made (CLOCK_MONOTONIC) */
	__u64 ustack;
	__u32 tgid, pid;
	__u32 weight; /* the sample rate it stands for */
	__u32 kind; /* 0: malloc & co; enum alloc_sys_kind for mmap; alloc_kernel_kind */
	__s32 kstack; /* --kernel --leaks: the kernel stack; LT_NO_KSTACK otherwise */
	__u32 pad;
	char comm[LT_COMM_LEN];
};

#endif
