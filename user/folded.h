/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Folded stacks read back, for report and diff; the writers are in output.h. */
#ifndef LT_FOLDED_H
#define LT_FOLDED_H
#include <stdio.h>
#include "json_read.h"
#include "profile.h"

/* Longest line accepted: far beyond any real stack, short of a runaway file. */
#define LT_FOLDED_MAX_LINE (4 << 20)

/*
 * Read folded stacks ("comm;root;...;leaf COUNT", frames annotated _[k],
 * _[i], _[j] as flamegraph.pl's tools write them) from f into p, one named
 * sample per line; blank lines and '#' comments are skipped. Frames in
 * brackets ([preempted]) become pseudo-frames. A malformed line (no count,
 * a count that is not a whole number, binary data, longer than
 * LT_FOLDED_MAX_LINE) stops the read: one error naming path:line is
 * printed and -EINVAL returned. Also -ENOMEM, -EIO. 0 when all was read.
 * The header latprof writes, "# latprof TOOL unit=UNIT", fills meta's tool
 * and unit (left "" without one: the unit is then unknown).
 */
int lt_folded_read(FILE *f, const char *path, struct lt_profile *p, struct lt_json_meta *meta);

/* The first line of latprof's folded output: "# latprof TOOL unit=UNIT". */
#define LT_FOLDED_HEADER "# latprof %s unit=%s\n"

#endif
