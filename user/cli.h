/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Options every tool shares (targets, duration, output, stacks) and the
 * parser that merges them with a tool's own options.
 */
#ifndef LT_CLI_H
#define LT_CLI_H
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include "output.h"
#include "stacks.h"
#include "target.h"

#define LT_DEFAULT_MAX_STACKS 10000

struct lt_common {
	struct lt_target target;
	double duration; /* seconds, 0: until SIGINT/SIGTERM */
	double interval; /* seconds, 0: none */
	const char *output;
	const char *format;
	struct lt_out_opts out; /* --icicle, --minwidth, --title */
	unsigned int top;
	int verbose;
	bool quiet;
	bool no_demangle;
	bool lines; /* --lines: DWARF file:line and inlined frames */
	bool no_profile_output; /* the mode's stdout is an event stream (lt_mode.stream) */
	unsigned int max_stacks; /* --max-stacks: rows kept before exited processes fold */
	struct lt_stack_opts stacks;
};

/* A tool's command-line description. */
struct lt_cli_tool {
	const char *name;
	const char *summary; /* one line for `latprof --help` */
	const char *synopsis; /* "[options]" part of the usage line */
	const char *help; /* the tool's own options, one per line */
	const char *examples;
	const char *shortopts; /* tool options only */
	const struct option *longopts;
	/* 0 handled, -EINVAL bad value (printed). */
	int (*parse)(void *topts, int key, const char *arg);
	/* Contradictions between options, after parsing. 0 or -EINVAL (printed). */
	int (*check)(void *topts, const struct lt_common *c);
	/* Each argument that is not an option, in order (func's PROBEs); NULL: none taken. */
	int (*operand)(void *topts, const char *arg);
};

/* First key free for a tool's long-only options. */
#define LT_OPT_TOOL 0x200

/*
 * Parse argv (argv[0] is the tool name) into c and topts. Returns 0 to run,
 * 1 when --help was printed, -EINVAL on a usage error (one line printed).
 */
int lt_cli_parse(int argc, char **argv, const struct lt_cli_tool *t, struct lt_common *c,
		 void *topts);
void lt_cli_usage(FILE *f, const struct lt_cli_tool *t);

/* Parse helpers for tools: one error line on failure, 0 or -EINVAL. */
int lt_parse_u64(const char *arg, const char *opt, unsigned long long min, unsigned long long max,
		 unsigned long long *v);
int lt_parse_seconds(const char *arg, const char *opt, double *v);
/* --minwidth PX or PCT% into o. */
int lt_parse_minwidth(const char *arg, struct lt_out_opts *o);

#endif
