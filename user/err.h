/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one error reporter and the one libbpf print callback. Messages follow
 * git's style: lower case, no full stop, what failed first, subject quoted.
 */
#ifndef LT_ERR_H
#define LT_ERR_H
#include <stdarg.h>
#include <bpf/libbpf.h>

/* Exit codes of every latprof command. */
#define LT_EXIT_OK 0
#define LT_EXIT_FAIL 1
#define LT_EXIT_USAGE 2

/* 0 quiet, 1 -v (attach details, libbpf warnings), 2 -vv (libbpf debug). */
void lt_set_verbose(int level);

/* "latprof: error: ..." on stderr. Cannot fail. */
void lt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "latprof: warning: ..." on stderr. Cannot fail. */
void lt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "latprof: ..." on stderr: a fact worth a line, not a fault. Cannot fail. */
void lt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "latprof: ..." on stderr, only with -v. Cannot fail. */
void lt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libbpf_set_print() callback: silent unless -v. */
int lt_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
