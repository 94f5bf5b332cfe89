/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Saved profiles read back (report, diff). */
#ifndef LT_REPORT_H
#define LT_REPORT_H
#include "profile.h"

/*
 * Read and merge files (folded stacks; "-" is stdin) into p. 0, or -errno
 * with one error printed (the file and line of a malformed line).
 */
int lt_report_read(int nfiles, char **files, struct lt_profile *p);

#endif
