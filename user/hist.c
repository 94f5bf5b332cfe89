// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include "hist.h"

unsigned int lt_hist_slot(uint64_t v)
{
	unsigned int s;

	if (!v)
		return 0;
	s = 64 - __builtin_clzll(v);
	return s < LT_HIST_SLOTS ? s : LT_HIST_SLOTS - 1;
}

uint64_t lt_hist_slot_lo(unsigned int i)
{
	return i ? 1ULL << (i - 1) : 0;
}

uint64_t lt_hist_slot_hi(unsigned int i)
{
	return i ? (i >= 64 ? UINT64_MAX : 1ULL << i) : 1;
}

void lt_hist_add(struct lt_hist *h, uint64_t v, uint64_t n)
{
	h->slots[lt_hist_slot(v)] += n;
}

void lt_hist_merge(struct lt_hist *dst, const struct lt_hist *src)
{
	for (int i = 0; i < LT_HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
}

uint64_t lt_hist_count(const struct lt_hist *h)
{
	uint64_t n = 0;

	for (int i = 0; i < LT_HIST_SLOTS; i++)
		n += h->slots[i];
	return n;
}

double lt_hist_quantile(const struct lt_hist *h, double q)
{
	uint64_t total = lt_hist_count(h), rank, seen = 0;

	if (!total)
		return 0;
	if (q <= 0)
		q = 1e-12;
	if (q > 1)
		q = 1;
	rank = (uint64_t)ceil(q * (double)total);
	if (!rank)
		rank = 1;
	for (unsigned int i = 0; i < LT_HIST_SLOTS; i++) {
		uint64_t c = h->slots[i];
		double lo, hi;

		if (seen + c < rank) {
			seen += c;
			continue;
		}
		lo = (double)lt_hist_slot_lo(i);
		hi = (double)lt_hist_slot_hi(i);
		/* rank-th of c values spread evenly over [lo, hi) */
		return lo + (hi - lo) * ((double)(rank - seen) - 0.5) / (double)c;
	}
	return (double)lt_hist_slot_lo(LT_HIST_SLOTS - 1);
}
