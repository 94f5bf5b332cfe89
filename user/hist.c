// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"

uint64_t lt_hist_slot_lo(unsigned int i)
{
	unsigned int msb = i / LT_HIST_SUB + 2;

	if (i < LT_HIST_SUB)
		return i;
	return (uint64_t)(LT_HIST_SUB + i % LT_HIST_SUB) << (msb - 3);
}

uint64_t lt_hist_slot_hi(unsigned int i)
{
	unsigned int msb = i / LT_HIST_SUB + 2;

	if (i < LT_HIST_SUB)
		return i + 1;
	if (i == LT_HIST_SLOTS - 1)
		return UINT64_MAX; /* the last slot also takes everything above */
	return (uint64_t)(LT_HIST_SUB + i % LT_HIST_SUB + 1) << (msb - 3);
}

int lt_hist_add_slot(struct lt_hist *h, unsigned int slot, uint64_t n)
{
	uint32_t lo = 0, hi = h->n;

	if (!n)
		return 0;
	if (slot >= LT_HIST_SLOTS)
		slot = LT_HIST_SLOTS - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (h->b[mid].slot < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->n && h->b[lo].slot == slot) {
		h->b[lo].count += n;
		return 0;
	}
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 4;
		struct lt_hist_bin *b = realloc(h->b, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		h->b = b;
		h->cap = cap;
	}
	memmove(&h->b[lo + 1], &h->b[lo], (h->n - lo) * sizeof(*h->b));
	h->b[lo] = (struct lt_hist_bin){ .slot = slot, .count = n };
	h->n++;
	return 0;
}

int lt_hist_add(struct lt_hist *h, uint64_t v, uint64_t n)
{
	return lt_hist_add_slot(h, lt_hist_slot(v), n);
}

int lt_hist_merge(struct lt_hist *dst, const struct lt_hist *src)
{
	for (uint32_t i = 0; i < src->n; i++)
		if (lt_hist_add_slot(dst, src->b[i].slot, src->b[i].count))
			return -ENOMEM;
	return 0;
}

int lt_hist_copy(struct lt_hist *dst, const struct lt_hist *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->n)
		return 0;
	dst->b = malloc(src->n * sizeof(*dst->b));
	if (!dst->b)
		return -ENOMEM;
	memcpy(dst->b, src->b, src->n * sizeof(*dst->b));
	dst->n = dst->cap = src->n;
	return 0;
}

void lt_hist_free(struct lt_hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}

uint64_t lt_hist_count(const struct lt_hist *h)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < h->n; i++)
		n += h->b[i].count;
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
	for (uint32_t i = 0; i < h->n; i++) {
		unsigned int s = h->b[i].slot;

		seen += h->b[i].count;
		if (seen < rank)
			continue;
		if (s < LT_HIST_SUB)
			return (double)s;
		if (s == LT_HIST_SLOTS - 1)
			return (double)lt_hist_slot_lo(s);
		return ((double)lt_hist_slot_lo(s) + (double)lt_hist_slot_hi(s)) / 2;
	}
	return (double)lt_hist_slot_lo(h->b[h->n - 1].slot);
}

double lt_hist_quantile_sum(const struct lt_hist *h, double q, uint64_t sum)
{
	uint64_t n = lt_hist_count(h);
	double v = lt_hist_quantile(h, q), lo, hi;

	if (!n)
		return 0;
	hi = (double)sum - (double)(n - 1) * (double)lt_hist_slot_lo(h->b[0].slot);
	lo = (double)sum - (double)(n - 1) * (double)(lt_hist_slot_hi(h->b[h->n - 1].slot) - 1);
	/* A sum the buckets cannot hold (a bug, or a total of something else): as estimated. */
	if (hi < (double)lt_hist_slot_lo(h->b[0].slot) || lo > hi ||
	    lo > (double)(lt_hist_slot_hi(h->b[h->n - 1].slot) - 1))
		return v;
	return v > hi ? hi : v < lo ? lo : v;
}
