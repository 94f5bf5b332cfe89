/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Saved profiles read back (report, diff). */
#ifndef LT_REPORT_H
#define LT_REPORT_H
#include <stdbool.h>
#include "profile.h"

struct lt_report_meta {
	char unit[32]; /* the values' unit, from JSON or latprof's folded header ("" none) */
	char tool[32]; /* the tool that wrote the first input that says */
	bool unit_unknown; /* some input was folded stacks without latprof's header */
	bool has_pids; /* some input was JSON, so samples carry pids */
	bool has_folded;
};

/*
 * Read and merge files into p: latprof's JSON (told by its leading '{') or
 * folded stacks; "-" is stdin. 0, or -errno with one error printed (the file
 * and line of a malformed line; JSON inputs whose units differ).
 */
int lt_report_read(int nfiles, char **files, struct lt_profile *p, struct lt_report_meta *meta);

/*
 * The unit of values read from folded stacks that do not say theirs (not
 * written by latprof): "", so values print as plain numbers, never in a unit
 * they may not be in. Says so once on stderr.
 */
const char *lt_unknown_unit(void);

#endif
