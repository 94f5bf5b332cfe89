/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one histogram: log-linear (HDR-style) buckets, 8 per power of two, as
 * lt_agg_add() fills them in BPF, by the same lt_hist_slot() (stack_agg.h).
 * Values 0..7 have a bucket each; above, a bucket spans 1/8 of its power of
 * two, so it is at most 12.5% of its low bound wide and a percentile taken at
 * the bucket's midpoint is within 6.25% of the true one. User space keeps
 * only the non-empty buckets (most stacks fill a few), sorted by slot.
 */
#ifndef LT_HIST_H
#define LT_HIST_H
#include <stdint.h>
#include "stack_agg.h"

struct lt_hist_bin {
	uint32_t slot;
	uint64_t count;
};

struct lt_hist {
	struct lt_hist_bin *b; /* non-empty buckets, by slot */
	uint32_t n, cap;
};

/* lt_hist_slot(v), the slot of value v, is in stack_agg.h. */
/* Lowest value of slot i, and one past its highest. */
uint64_t lt_hist_slot_lo(unsigned int i);
uint64_t lt_hist_slot_hi(unsigned int i);

/* Add n events in slot (of value v). 0 or -ENOMEM. */
int lt_hist_add_slot(struct lt_hist *h, unsigned int slot, uint64_t n);
int lt_hist_add(struct lt_hist *h, uint64_t v, uint64_t n);
/* dst += src. 0 or -ENOMEM. */
int lt_hist_merge(struct lt_hist *dst, const struct lt_hist *src);
/* dst = a copy of src (dst empty or freed before). 0 or -ENOMEM. */
int lt_hist_copy(struct lt_hist *dst, const struct lt_hist *src);
void lt_hist_free(struct lt_hist *h);
uint64_t lt_hist_count(const struct lt_hist *h);

/*
 * Estimate the q-quantile (0 < q <= 1), nearest rank: the bucket holding
 * the ceil(q * count)-th value, reported at its midpoint (exact below 8).
 * Within 6.25% of the true quantile. Returns 0 for an empty histogram.
 */
double lt_hist_quantile(const struct lt_hist *h, double q);

/*
 * The same, for a histogram whose values add up to sum: clamped to what the
 * sum allows (no value above sum less the others at their least, none below
 * sum less the others at their most), so a one-event stack shows its exact
 * value, never a bucket midpoint above its own total.
 */
double lt_hist_quantile_sum(const struct lt_hist *h, double q, uint64_t sum);

/* How lt_hist_quantile() estimates, for output footnotes. */
#define LT_HIST_METHOD                                                                    \
	"estimated from log-linear buckets (8 per power of two) at the bucket midpoint: " \
	"within 6.25% of the true value"

#endif
