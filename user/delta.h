/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Values of two profiles side by side, keyed by text (a stack, a function):
 * the one table the diffs (report's top-N diff, folded diff) add into.
 */
#ifndef LT_DELTA_H
#define LT_DELTA_H
#include <stddef.h>
#include <stdint.h>
#include "profile.h"

/* A stack or a function in both profiles, keyed by its text. */
struct lt_delta_ent {
	char *key;
	const struct lt_sample *s; /* a sample to print the stack from */
	const char *name; /* functions: the name */
	uint8_t kind;
	double before, after;
	size_t last_line; /* functions: once per stack, per side */
	int last_side;
};

struct lt_delta_map {
	struct lt_delta_ent *e;
	size_t n, cap;
};

/* The entry of key, added (zeroed) if new; NULL on ENOMEM. */
struct lt_delta_ent *lt_delta_get(struct lt_delta_map *m, const char *key);
void lt_delta_free(struct lt_delta_map *m);

#endif
