// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof diff BEFORE AFTER: what changed between two saved profiles. Tables
 * of stacks and functions by change, and a differential flame graph (widths
 * from AFTER; red grew, blue shrank) or before/after folded stacks.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "output.h"
#include "report.h"
#include "tools.h"

static const char diff_help[] =
	"Usage: latprof diff [options] BEFORE AFTER\n"
	"\n"
	"Compare two profiles (latprof's -f json, or folded stacks): the stacks and\n"
	"functions whose value changed, with before, after, delta and delta %.\n"
	"\n"
	"  -f, --format FORMAT       svg: a differential flame graph, widths from AFTER,\n"
	"                            red grew, blue shrank; folded: 'stack BEFORE AFTER'\n"
	"                            lines (flamegraph.pl's diff input); tables to stderr\n"
	"  -o, --output FILE         write FILE atomically (implies -f folded)\n"
	"      --normalize           scale BEFORE to AFTER's total: compare shares\n"
	"      --top N               rows per table (default 10)\n"
	"      --unit UNIT           unit of the values (default us, or the JSON's)\n"
	"      --title TEXT, --icicle, --minwidth PX|PCT%   svg options\n"
	"  -q, --quiet               no tables\n"
	"  -h, --help                this help\n"
	"\n"
	"Example:\n"
	"  latprof diff -f svg -o diff.svg before.folded after.folded\n";

enum {
	OPT_NORMALIZE = 0x100,
	OPT_TOP,
	OPT_UNIT,
	OPT_TITLE,
	OPT_ICICLE,
	OPT_MINWIDTH,
};

static const struct option diff_longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "normalize", no_argument, NULL, OPT_NORMALIZE },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "icicle", no_argument, NULL, OPT_ICICLE },
	{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const struct lt_cli_tool diff_cli = {
	.name = "diff",
	.summary = "compare two saved profiles: what grew, what shrank",
};

static uint64_t total_of(const struct lt_profile *p)
{
	uint64_t t = 0;

	for (size_t i = 0; i < p->n; i++)
		t += p->samples[i].total;
	return t;
}

int diff_main(int argc, char **argv)
{
	struct lt_out_opts oo = { .minwidth = 0.1 };
	const char *format = NULL, *output = NULL, *unit = NULL;
	struct lt_report_meta mb, ma;
	struct lt_profile before, after;
	struct lt_output *o = NULL;
	unsigned long long top = 10;
	bool quiet = false, normalize = false;
	double scale = 1.0;
	int key, err = 0, rc = LT_EXIT_USAGE;

	lt_profile__init(&before, "diff", "us", "value");
	lt_profile__init(&after, "diff", "us", "value");
	optind = 1;
	opterr = 0;
	while ((key = getopt_long(argc, argv, ":f:o:qh", diff_longopts, NULL)) != -1) {
		switch (key) {
		case 'f':
			if (!lt_output_format_known(optarg)) {
				lt_err("unknown output format '%s': expected one of %s", optarg,
				       lt_output_formats());
				err = -EINVAL;
			}
			format = optarg;
			break;
		case 'o': output = optarg; break;
		case OPT_NORMALIZE: normalize = true; break;
		case OPT_TOP: err = lt_parse_u64(optarg, "--top", 0, 100000, &top); break;
		case OPT_UNIT: unit = optarg; break;
		case OPT_TITLE: oo.title = optarg; break;
		case OPT_ICICLE: oo.icicle = true; break;
		case OPT_MINWIDTH: err = lt_parse_minwidth(optarg, &oo); break;
		case 'q': quiet = true; break;
		case 'h':
			fputs(diff_help, stdout);
			rc = LT_EXIT_OK;
			goto out;
		case ':':
			lt_err("option '%s' needs a value", argv[optind - 1]);
			err = -EINVAL;
			break;
		default:
			lt_err("unknown option '%s'; see 'latprof diff --help'", argv[optind - 1]);
			err = -EINVAL;
		}
		if (err)
			goto out;
	}
	if (argc - optind != 2) {
		lt_err("diff takes two files, BEFORE and AFTER; see 'latprof diff --help'");
		goto out;
	}
	if (format && strcmp(format, "folded") && strcmp(format, "svg")) {
		lt_err("format '%s' cannot show a diff: use folded or svg", format);
		goto out;
	}
	rc = LT_EXIT_FAIL;
	if ((format || output) && lt_output__open(output, format ? format : "folded", &oo, &o))
		goto out;
	err = lt_report_read(1, argv + optind, &before, &mb);
	err = err ?: lt_report_read(1, argv + optind + 1, &after, &ma);
	if (!err && mb.unit[0] && ma.unit[0] && strcmp(mb.unit, ma.unit)) {
		lt_err("'%s' is in %s and '%s' in %s: cannot compare", argv[optind], mb.unit,
		       argv[optind + 1], ma.unit);
		err = -EINVAL;
	}
	if (err)
		goto out;
	if (!unit)
		unit = ma.unit[0] ? ma.unit : mb.unit[0] ? mb.unit : lt_unknown_unit();
	before.unit = after.unit = unit;
	snprintf(before.target, sizeof(before.target), "%s", argv[optind]);
	snprintf(after.target, sizeof(after.target), "%s", argv[optind + 1]);
	if (normalize) {
		uint64_t tb = total_of(&before), ta = total_of(&after);

		if (!tb || !ta) {
			lt_err("--normalize: '%s' has a total of 0",
			       tb ? argv[optind + 1] : argv[optind]);
			goto out;
		}
		scale = (double)ta / (double)tb;
	}
	if (!quiet && lt_write_diff_tables(o ? stderr : stdout, &after, &before, scale, top)) {
		lt_err("cannot write the tables: %s", strerror(EIO));
		goto out;
	}
	if (o && lt_output__write_diff(o, &after, &before, scale))
		goto out;
	rc = LT_EXIT_OK;
out:
	lt_output__close(o);
	lt_profile__free(&before);
	lt_profile__free(&after);
	return rc;
}
