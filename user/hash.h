/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one string and byte hash of user space (64-bit FNV-1a), for its hash sets. */
#ifndef LT_HASH_H
#define LT_HASH_H
#include <stddef.h>
#include <stdint.h>

#define LT_FNV_OFFSET 1469598103934665603ULL
#define LT_FNV_PRIME 1099511628211ULL

/* Hash n bytes at d, continuing from h (LT_FNV_OFFSET to start). */
static inline uint64_t lt_hash_bytes(uint64_t h, const void *d, size_t n)
{
	const unsigned char *s = d;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * LT_FNV_PRIME;
	return h;
}

/* Hash a NUL-terminated string. */
static inline uint64_t lt_hash_str(const char *s)
{
	uint64_t h = LT_FNV_OFFSET;

	while (*s)
		h = (h ^ (unsigned char)*s++) * LT_FNV_PRIME;
	return h;
}

#endif
