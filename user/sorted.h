/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one "which entry covers this address" search of the user-space core. */
#ifndef LT_SORTED_H
#define LT_SORTED_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * In an array of n elements of `size` bytes, sorted by the uint64_t at byte
 * offset `key`, the number of leading elements whose key is <= x: the index
 * + 1 of the last such element, 0 when there is none. Cannot fail.
 */
static inline size_t lt_upper_bound(const void *base, size_t n, size_t size, size_t key, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, (const char *)base + mid * size + key, sizeof(k));
		if (k <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
