/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CFI unwind tables that user space builds from .eh_frame for code compiled
 * without frame pointers (glibc on most distributions) and BPF walks at block
 * time, so that the caller of read()/nanosleep() is not lost. Tables are keyed
 * by the file's (dev, inode), exactly as the kernel's VMA sees them, so one
 * table serves every process that maps the library.
 */
#ifndef LT_UNWIND_H
#define LT_UNWIND_H
#include "lt_types.h"

#define LT_UNWIND_MAX_ROWS (1U << 20) /* rows in the shared row pool */
#define LT_UNWIND_MAX_TABLES 256 /* distinct files with tables */
#define LT_UNWIND_SEARCH_STEPS 21 /* covers a table of LT_UNWIND_MAX_ROWS */
#define LT_UNWIND_PROC_MAPS 16 /* mappings with tables per process */
#define LT_UNWIND_MAX_PROCS 16384 /* processes with a published mapping list */

enum lt_cfa_reg {
	LT_CFA_UNDEF = 0, /* no CFI covers this pc: stop CFI unwinding */
	LT_CFA_RSP = 1, /* CFA = rsp + cfa_off */
	LT_CFA_RBP = 2, /* CFA = rbp + cfa_off */
	LT_CFA_PLT = 3, /* PLT stub: CFA = rsp + 8 (+8 past the push) */
};

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
	__s16 rbp_off; /* caller's rbp saved at CFA + rbp_off; 0 = rbp unchanged */
};

/*
 * Per process (tgid): the executable mappings whose files have tables, as
 * user space saw them in /proc/PID/maps. With it BPF needs no bpf_find_vma(),
 * which works only once per sched_switch (its deferred mmap unlock keeps the
 * per-CPU irq_work busy until interrupts are enabled again).
 */
struct lt_unwind_map {
	__u64 start, end;
	__u64 bias; /* start - file offset of start: pc - bias = file offset */
	__u32 tab_first;
	__u32 tab_nrows;
};

struct lt_unwind_proc {
	__u32 n;
	__u32 pad;
	struct lt_unwind_map m[LT_UNWIND_PROC_MAPS];
};

#endif
