/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one "make room for one more" of a growing array (as git's ALLOC_GROW). */
#ifndef LT_GROW_H
#define LT_GROW_H
#include <errno.h>
#include <stdlib.h>

/*
 * Make room in arr (n elements used, cap allocated) for one more, doubling
 * from `first`. Evaluates to 0, or -ENOMEM with the array unchanged. A macro,
 * so that arr keeps its type.
 */
#define LT_GROW(arr, n, cap, first)                                                 \
	({                                                                          \
		int _err = 0;                                                       \
		if ((size_t)(n) >= (size_t)(cap)) {                                 \
			size_t _cap = (cap) ? (size_t)(cap)*2 : (size_t)(first);    \
			__typeof__(arr) _a = realloc((arr), _cap * sizeof(*(arr))); \
			if (_a) {                                                   \
				(arr) = _a;                                         \
				(cap) = _cap;                                       \
			} else {                                                    \
				_err = -ENOMEM;                                     \
			}                                                           \
		}                                                                   \
		_err;                                                               \
	})

#endif
