/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one histogram: log2 buckets as filled by lt_agg_add() in BPF, with
 * percentile estimates. Slot i holds values in [2^(i-1), 2^i), slot 0 holds 0.
 */
#ifndef LT_HIST_H
#define LT_HIST_H
#include <stdint.h>
#include "stack_agg.h"

struct lt_hist {
	uint64_t slots[LT_HIST_SLOTS];
};

/* Slot for value v; mirrors lt_log2_slot() in bpf/stack_agg.bpf.h. */
unsigned int lt_hist_slot(uint64_t v);
/* Lowest value of slot i, and one past its highest. */
uint64_t lt_hist_slot_lo(unsigned int i);
uint64_t lt_hist_slot_hi(unsigned int i);

void lt_hist_add(struct lt_hist *h, uint64_t v, uint64_t n);
void lt_hist_merge(struct lt_hist *dst, const struct lt_hist *src);
uint64_t lt_hist_count(const struct lt_hist *h);

/*
 * Estimate the q-quantile (0 < q <= 1): find the slot holding the rank
 * ceil(q * count) and interpolate linearly inside it, assuming values spread
 * evenly across the slot. The error is bounded by the slot's width (a factor
 * of two). Returns 0 for an empty histogram.
 */
double lt_hist_quantile(const struct lt_hist *h, double q);

#endif
