/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CFI unwind tables that user space builds from .eh_frame for code compiled
 * without frame pointers (glibc on most distributions) and BPF walks at block
 * time, so that the caller of read()/nanosleep() is not lost. Tables are keyed
 * by the file's (dev, inode), exactly as the kernel's VMA sees them, so one
 * table serves every process that maps the library.
 *
 * Two pools, both arrays that user space sizes before load:
 * - lt_unwind_rows: every table's rows; a table is a slice (first, nrows).
 * - lt_unwind_maps: every process's executable mappings, sorted by start;
 *   a process's list is a slice (lt_unwind_procs: tgid -> first, n). No
 *   limit per process: a list is as long as the process's mappings.
 */
#ifndef LT_UNWIND_H
#define LT_UNWIND_H
#include "lt_types.h"

/* The user-stack walker, lt_ustack_mode in rodata (user/loader.c picks it). */
enum lt_ustack_mode {
	LT_USTACK_CFI = 0, /* CFI tables where loaded, frame pointers elsewhere */
	LT_USTACK_FP = 1, /* kernels without bpf_loop/bpf_find_vma: rbp chain only */
};

#define LT_UNWIND_SEARCH_STEPS 24 /* binary search of one table: up to 16M rows */
#define LT_UNWIND_MAP_STEPS 20 /* binary search of one process's list: up to 1M mappings */
#define LT_UNWIND_MAX_TABLES 8192 /* distinct files with tables */
#define LT_UNWIND_MAX_PROCS 65536 /* processes with a published mapping list */
#define LT_UNWIND_MAX_WANT 8192 /* processes waiting for user space to publish them */
#define LT_UWALK_MAX_SWITCHES 4 /* stack switches (Go's g0 <-> goroutine) followed per walk */

enum lt_cfa_reg {
	LT_CFA_UNDEF = 0, /* no CFI covers this pc: stop CFI unwinding */
	LT_CFA_RSP = 1, /* CFA = rsp + cfa_off */
	LT_CFA_RBP = 2, /* CFA = rbp + cfa_off */
	LT_CFA_PLT = 3, /* PLT stub: CFA = rsp + 8 (+8 past the push) */
	LT_CFA_SIGNAL = 4, /* signal trampoline (__restore_rt): registers in the rt_sigframe */
};

/*
 * x86-64 rt_sigframe as the kernel builds it (arch/x86/include/asm/sigframe.h,
 * uapi sigcontext.h): at the trampoline rsp points at the ucontext, whose
 * uc_mcontext starts 40 bytes in; rbp, rsp and rip sit at 80, 120 and 128 in
 * struct sigcontext. A kernel ABI, fixed since x86-64 began.
 */
#define LT_SIGFRAME_BP (40 + 80)
#define LT_SIGFRAME_SP (40 + 120)
#define LT_SIGFRAME_IP (40 + 128)

struct lt_unwind_key {
	__u32 dev; /* kernel dev_t: major << 20 | minor, as in /proc/PID/maps */
	__u32 pad;
	__u64 ino;
};

struct lt_unwind_tab {
	__u32 first; /* index of the first row in the row pool */
	__u32 nrows;
};

/* One CFI row, valid from file offset `off` to the next row's `off`. */
struct lt_unwind_row {
	__u32 off; /* file offset of the first pc the row covers */
	__s32 cfa_off; /* added to the CFA register */
	__u8 cfa_reg; /* enum lt_cfa_reg */
	__u8 pad;
	__s16 rbp_off; /* caller's rbp saved at CFA + rbp_off; 0 = unchanged */
};

/*
 * One executable mapping of a process, as user space saw it (/proc/PID/maps
 * or the kernel's mmap records): every one, with or without a table, so BPF
 * knows which addresses are code. With it BPF needs no bpf_find_vma(), which
 * works only once per sched_switch (its deferred mmap unlock keeps the
 * per-CPU irq_work busy until interrupts are enabled again).
 */
struct lt_unwind_map {
	__u64 start, end;
	__u64 bias; /* start - file offset of start: pc - bias = file offset */
	__u32 tab_first;
	__u32 tab_nrows; /* 0: no table (frame pointers, anonymous code, vDSO without one) */
};

/* A process's list: lt_unwind_maps[first .. first + n), sorted by start. */
struct lt_unwind_proc {
	__u32 first;
	__u32 n;
};

/*
 * A user stack walked before its process's mapping list was known (exec'd
 * moments ago): its registers and the stack above them, copied at the walk
 * (lt_ustack_copies ring buffer), for user space to walk again once the
 * kernel's mmap records have told it the mappings (user/unwinder.c).
 */
#define LT_USTACK_COPY_BYTES 16384

struct lt_ustack_copy {
	__u64 key; /* the stack's key in lt_ustacks */
	__u64 ip, sp, bp;
	__u32 tgid;
	__u32 len; /* bytes copied from sp, 0 when none could be read */
	__u8 data[LT_USTACK_COPY_BYTES];
};

/* Why a process is in lt_unwind_want. */
enum lt_unwind_want_why {
	LT_WANT_MET = 1, /* a walk met it without a published list */
	LT_WANT_FORK = 2, /* forked: walks use a copy of its parent's list until then */
};

#endif
