/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sorted arrays of u32 (process ids) as sets: sort and drop repeats, and
 * membership by binary search. For the lists of processes to keep or forget.
 */
#ifndef LT_U32SET_H
#define LT_U32SET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline int lt_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort v and drop repeats; returns the new count. Cannot fail. */
static inline size_t lt_u32_sort_unique(uint32_t *v, size_t n)
{
	size_t m = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), lt_u32_cmp);
	for (size_t i = 0; i < n; i++)
		if (!m || v[m - 1] != v[i])
			v[m++] = v[i];
	return m;
}

/* Is x in v (n entries, sorted)? */
static inline bool lt_u32_in(const uint32_t *v, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

#endif
