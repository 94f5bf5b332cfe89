// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "err.h"
#include "output.h"

enum {
	OPT_COMM = 0x100,
	OPT_CGROUP,
	OPT_TOP,
	OPT_STACK_STORAGE,
	OPT_MAX_DEPTH,
	OPT_NO_DEMANGLE,
	OPT_LINES,
	OPT_ICICLE,
	OPT_MINWIDTH,
	OPT_TITLE,
	OPT_MAX_STACKS,
};

#define COMMON_SHORTOPTS "p:t:d:i:o:f:qvhUK"

static const struct option common_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "tid", required_argument, NULL, 't' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "duration", required_argument, NULL, 'd' },
	{ "interval", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "user-stacks-only", no_argument, NULL, 'U' },
	{ "kernel-stacks-only", no_argument, NULL, 'K' },
	{ "stack-storage-size", required_argument, NULL, OPT_STACK_STORAGE },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "perf-max-stack-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "no-demangle", no_argument, NULL, OPT_NO_DEMANGLE },
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "icicle", no_argument, NULL, OPT_ICICLE },
	{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
	{ "title", required_argument, NULL, OPT_TITLE },
};

static const char common_help[] =
	"Target (default: the whole system):\n"
	"  -p, --pid PID[,PID...]      all threads of these processes\n"
	"  -t, --tid TID[,TID...]      these threads (with -p: either matches); the\n"
	"                              trace ends when the last -p/-t target exits\n"
	"      --comm NAME             only tasks named NAME (as in /proc/PID/comm)\n"
	"      --cgroup PATH           only tasks in this cgroup v2 directory or below\n"
	"Run:\n"
	"  -d, --duration SECONDS      stop after SECONDS (default: at Ctrl-C/SIGTERM)\n"
	"  -i, --interval SECONDS      print a summary of each interval while tracing\n"
	"Output:\n"
	"  -o, --output FILE           write to FILE atomically (default: stdout)\n"
	"  -f, --format FORMAT         output format: folded (default), svg, json,\n"
	"                              pprof, hist\n"
	"      --title TEXT            svg: title (default: the tool's)\n"
	"      --icicle                svg: root at the top (icicle graph)\n"
	"      --minwidth PX|PCT%      svg: leave out frames narrower (default 0.1 px)\n"
	"      --top N                 stacks in the summary on stderr (default 10)\n"
	"  -q, --quiet                 only warnings on stderr: no summary, no progress,\n"
	"                              no notes (warnings of lost data always print)\n"
	"  -v, --verbose               attach details and libbpf messages (-vv: debug)\n"
	"Stacks:\n"
	"  -U, --user-stacks-only      only user stacks\n"
	"  -K, --kernel-stacks-only    only kernel stacks\n"
	"      --stack-storage-size N  entries of the kernel's aggregation and user stack\n"
	"                              maps (default 16384), drained while tracing\n"
	"      --max-stacks N          rows (thread and stack) kept in memory (default\n"
	"                              10000); past N, those of processes that exited\n"
	"                              merge per command\n"
	"      --perf-max-stack-depth N  frames kept per stack (default and max 127)\n"
	"      --no-demangle           keep C++ and Rust names mangled\n"
	"      --lines                 user frames with source file:line, and inlined\n"
	"                              functions as frames of their own (DWARF)\n";

int lt_parse_u64(const char *arg, const char *opt, unsigned long long min, unsigned long long max,
		 unsigned long long *v)
{
	char *end;

	errno = 0;
	if (*arg == '-' || !*arg)
		goto bad;
	*v = strtoull(arg, &end, 10);
	if (errno || *end)
		goto bad;
	if (*v < min || *v > max) {
		lt_err("invalid %s '%s': must be between %llu and %llu", opt, arg, min, max);
		return -EINVAL;
	}
	return 0;
bad:
	lt_err("invalid %s '%s': expected a non-negative integer", opt, arg);
	return -EINVAL;
}

int lt_parse_minwidth(const char *arg, struct lt_out_opts *o)
{
	char *end;
	double v = strtod(arg, &end);

	o->minwidth_pct = *end == '%';
	if (end == arg || (*end && strcmp(end, "%")) || v < 0 || v != v ||
	    (o->minwidth_pct && v > 100)) {
		lt_err("invalid --minwidth '%s': expected pixels (0.1) or a percentage (0.5%%)",
		       arg);
		return -EINVAL;
	}
	o->minwidth = v;
	return 0;
}

int lt_parse_seconds(const char *arg, const char *opt, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(*v) || *v <= 0 || *v > 1e7) {
		lt_err("invalid %s '%s': expected a positive number of seconds", opt, arg);
		return -EINVAL;
	}
	return 0;
}

void lt_cli_usage(FILE *f, const struct lt_cli_tool *t)
{
	fprintf(f, "Usage: latprof %s %s\n\n%s.\n\n", t->name, t->synopsis, t->summary);
	if (t->help)
		fprintf(f, "%s options:\n%s", t->name, t->help);
	fputs(common_help, f);
	if (t->examples)
		fprintf(f, "\nExamples:\n%s", t->examples);
}

static int parse_common(struct lt_common *c, int key, const char *arg)
{
	unsigned long long v;

	switch (key) {
	case 'p': return lt_target_parse_ids(arg, "pid", c->target.pids, &c->target.npids);
	case 't': return lt_target_parse_ids(arg, "tid", c->target.tids, &c->target.ntids);
	case OPT_COMM:
		if (!*arg || strlen(arg) >= LT_COMM_LEN) {
			lt_err("invalid --comm '%s': a task name has 1 to %d characters", arg,
			       LT_COMM_LEN - 1);
			return -EINVAL;
		}
		strcpy(c->target.comm, arg);
		return 0;
	case OPT_CGROUP: c->target.cgroup = arg; return 0;
	case 'd': return lt_parse_seconds(arg, "duration", &c->duration);
	case 'i': return lt_parse_seconds(arg, "interval", &c->interval);
	case 'o': c->output = arg; return 0;
	case 'f':
		if (!lt_output_format_known(arg)) {
			lt_err("unknown output format '%s': expected one of %s", arg,
			       lt_output_formats());
			return -EINVAL;
		}
		c->format = arg;
		return 0;
	case OPT_TOP:
		if (lt_parse_u64(arg, "--top", 0, 100000, &v))
			return -EINVAL;
		c->top = v;
		return 0;
	case 'q': c->quiet = true; return 0;
	case 'v': c->verbose++; return 0;
	case 'U': c->stacks.user_only = true; return 0;
	case 'K': c->stacks.kernel_only = true; return 0;
	case OPT_STACK_STORAGE:
		if (lt_parse_u64(arg, "--stack-storage-size", 64, 1U << 24, &v))
			return -EINVAL;
		c->stacks.storage_size = v;
		return 0;
	case OPT_MAX_STACKS:
		if (lt_parse_u64(arg, "--max-stacks", 1, 1U << 30, &v))
			return -EINVAL;
		c->max_stacks = v;
		return 0;
	case OPT_NO_DEMANGLE: c->no_demangle = true; return 0;
	case OPT_LINES: c->lines = true; return 0;
	case OPT_ICICLE: c->out.icicle = true; return 0;
	case OPT_TITLE: c->out.title = arg; return 0;
	case OPT_MINWIDTH: return lt_parse_minwidth(arg, &c->out);
	case OPT_MAX_DEPTH:
		if (lt_parse_u64(arg, "--perf-max-stack-depth", 1, LT_MAX_STACK_DEPTH, &v))
			return -EINVAL;
		c->stacks.max_depth = v;
		return 0;
	}
	return 1;
}

int lt_cli_parse(int argc, char **argv, const struct lt_cli_tool *t, struct lt_common *c,
		 void *topts)
{
	size_t ncommon = sizeof(common_longopts) / sizeof(common_longopts[0]), ntool = 0;
	struct option *longopts;
	char shortopts[128];
	int key, err = 0;

	memset(c, 0, sizeof(*c));
	c->format = "folded";
	c->out.minwidth = 0.1;
	c->top = 10;
	c->stacks.storage_size = LT_DEFAULT_STACK_STORAGE;
	c->max_stacks = LT_DEFAULT_MAX_STACKS;
	c->stacks.max_depth = LT_MAX_STACK_DEPTH;

	while (t->longopts && t->longopts[ntool].name)
		ntool++;
	longopts = calloc(ncommon + ntool + 1, sizeof(*longopts));
	if (!longopts)
		return -ENOMEM;
	memcpy(longopts, common_longopts, sizeof(common_longopts));
	if (ntool)
		memcpy(longopts + ncommon, t->longopts, ntool * sizeof(*longopts));
	snprintf(shortopts, sizeof(shortopts), ":%s%s", COMMON_SHORTOPTS,
		 t->shortopts ? t->shortopts : "");

	opterr = 0;
	optind = 0; /* 0, not 1: glibc forgets a previous parse's half-read option cluster */
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (key == 'h') {
			lt_cli_usage(stdout, t);
			err = 1;
			goto out;
		}
		if (key == '?' || key == ':') {
			const char *bad = argv[optind - 1];

			if (optopt && key == '?')
				lt_err("unknown option '-%c'; see 'latprof %s --help'", optopt,
				       t->name);
			else if (key == ':')
				lt_err("option '%s' needs a value; see 'latprof %s --help'", bad,
				       t->name);
			else
				lt_err("unknown option '%s'; see 'latprof %s --help'", bad,
				       t->name);
			err = -EINVAL;
			goto out;
		}
		err = parse_common(c, key, optarg);
		if (err == 1)
			err = t->parse ? t->parse(topts, key, optarg) : -EINVAL;
		if (err)
			goto out;
	}
	for (; optind < argc && t->operand; optind++)
		if ((err = t->operand(topts, argv[optind])))
			goto out;
	if (optind < argc) {
		lt_err("unexpected argument '%s'; see 'latprof %s --help'", argv[optind], t->name);
		err = -EINVAL;
		goto out;
	}
	if (c->stacks.user_only && c->stacks.kernel_only) {
		lt_err("-U/--user-stacks-only and -K/--kernel-stacks-only exclude each other");
		err = -EINVAL;
		goto out;
	}
	if (c->interval && c->duration && c->interval > c->duration) {
		lt_err("interval %gs is longer than the duration %gs", c->interval, c->duration);
		err = -EINVAL;
		goto out;
	}
	if (t->check)
		err = t->check(topts, c);
out:
	free(longopts);
	return err;
}
