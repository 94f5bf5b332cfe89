/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* latprof's JSON profiles (-f json) read back, for report and diff. */
#ifndef LT_JSON_READ_H
#define LT_JSON_READ_H
#include <stdio.h>
#include "profile.h"

struct lt_json_meta {
	char unit[32]; /* of the values: "us" */
	char tool[32]; /* that wrote it: "offcpu" */
};

/*
 * Read a profile written by -f json from f into p: every stack with its pid,
 * tid, frames and kinds, total, count and histogram. meta (may be NULL) gets
 * the unit and tool. Strict: invalid JSON or a stack missing its fields stops
 * the read with one error naming path (and line, for syntax); -EINVAL. Also
 * -ENOMEM, -EIO. 0 when all was read.
 */
int lt_json_read(FILE *f, const char *path, struct lt_profile *p, struct lt_json_meta *meta);

#endif
