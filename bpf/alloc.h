/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * latprof alloc: what crosses between its BPF program and user space. Hot
 * mode aggregates into the shared stack map: value = bytes requested, count
 * = allocations (each sampled one weighted by the sample rate).
 */
#ifndef LT_ALLOC_H
#define LT_ALLOC_H
#include "lt_types.h"

/* Per-CPU counters of alloc's own (alloc_stats). */
enum alloc_stat {
	ALLOC_STAT_CALLS, /* allocation calls seen, sampled or not */
	ALLOC_STAT_NR,
};

#endif
