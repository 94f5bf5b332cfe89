// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof report: saved profiles read back, merged, filtered, summarized as
 * top-N tables, and converted to any output format. No BPF, no root.
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "folded.h"
#include "json_read.h"
#include "output.h"
#include "report.h"
#include "tools.h"

static const char report_help[] =
	"Usage: latprof report [options] FILE...\n"
	"\n"
	"Read profiles (latprof's -f json, or folded stacks from latprof or any\n"
	"flamegraph.pl-compatible tool; '-' is stdin), merge them, filter, print the\n"
	"top stacks and functions, and convert.\n"
	"\n"
	"Filters (a stack is kept when it passes all):\n"
	"      --grep REGEX          a frame or the comm matches REGEX (POSIX extended)\n"
	"      --exclude REGEX       no frame and not the comm matches REGEX\n"
	"      --comm NAME           the comm is NAME\n"
	"      --pid PID             of process PID (JSON input: folded stacks carry no pids)\n"
	"      --min-share PCT       at least PCT%% of the total (after the filters above)\n"
	"Output:\n"
	"  -f, --format FORMAT       convert to FORMAT (%s) on -o or stdout;\n"
	"                            the tables then go to stderr\n"
	"  -o, --output FILE         write FILE atomically (implies -f folded)\n"
	"      --top N               rows per table (default 10)\n"
	"      --unit UNIT           unit of the values (default us; bytes, samples, ...)\n"
	"      --palette TOOL        svg colours of a tool: offcpu, io, alloc, tcp, hot\n"
	"      --title TEXT, --icicle, --minwidth PX|PCT%%   svg options, as for tools\n"
	"  -q, --quiet               no tables\n"
	"  -h, --help                this help\n"
	"\n"
	"Examples:\n"
	"  latprof report before.folded                   top stacks and functions\n"
	"  latprof report --grep pipe_read -f svg -o pipe.svg a.folded b.folded\n";

enum {
	OPT_GREP = 0x100,
	OPT_EXCLUDE,
	OPT_COMM,
	OPT_PID,
	OPT_MIN_SHARE,
	OPT_TOP,
	OPT_UNIT,
	OPT_PALETTE,
	OPT_TITLE,
	OPT_ICICLE,
	OPT_MINWIDTH,
};

static const struct option report_longopts[] = {
	{ "grep", required_argument, NULL, OPT_GREP },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "min-share", required_argument, NULL, OPT_MIN_SHARE },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "palette", required_argument, NULL, OPT_PALETTE },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "icicle", no_argument, NULL, OPT_ICICLE },
	{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const struct lt_cli_tool report_cli = {
	.name = "report",
	.summary = "read saved profiles: top stacks and functions, filter, convert",
};

const char *lt_unknown_unit(void)
{
	lt_note("the values' unit is unknown (folded stacks without latprof's '# latprof TOOL "
		"unit=UNIT' line): printed as plain numbers; --unit us reads them as "
		"microseconds");
	return "";
}

int lt_report_read(int nfiles, char **files, struct lt_profile *p, struct lt_report_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	for (int i = 0; i < nfiles; i++) {
		bool is_stdin = !strcmp(files[i], "-");
		const char *name = is_stdin ? "<stdin>" : files[i];
		FILE *f = is_stdin ? stdin : fopen(files[i], "r");
		struct lt_json_meta jm;
		int c, err;

		if (!f) {
			lt_err("cannot read '%s': %s", files[i], strerror(errno));
			return -errno;
		}
		/* JSON starts with '{'; folded stacks never do. */
		while ((c = getc(f)) == ' ' || c == '\n' || c == '\t' || c == '\r')
			;
		if (c != EOF)
			ungetc(c, f);
		if (c == '{') {
			err = lt_json_read(f, name, p, &jm);
			if (!err && meta->unit[0] && strcmp(meta->unit, jm.unit)) {
				lt_err("%s: values in %s, other files in %s: cannot merge", name,
				       jm.unit, meta->unit);
				err = -EINVAL;
			}
			if (!err) {
				memcpy(meta->unit, jm.unit, sizeof(meta->unit));
				if (!meta->tool[0])
					memcpy(meta->tool, jm.tool, sizeof(meta->tool));
				meta->has_pids = true;
			}
		} else {
			memset(&jm, 0, sizeof(jm));
			err = lt_folded_read(f, name, p, &jm);
			meta->has_folded = true;
			if (!err && jm.unit[0] && meta->unit[0] && strcmp(meta->unit, jm.unit)) {
				lt_err("%s: values in %s, other files in %s: cannot merge", name,
				       jm.unit, meta->unit);
				err = -EINVAL;
			}
			if (!err && jm.unit[0] && !meta->unit[0])
				memcpy(meta->unit, jm.unit, sizeof(meta->unit));
			if (!err && jm.tool[0] && !meta->tool[0])
				memcpy(meta->tool, jm.tool, sizeof(meta->tool));
			if (!err && !jm.unit[0])
				meta->unit_unknown = true;
		}
		if (!is_stdin)
			fclose(f);
		if (err)
			return err;
	}
	return 0;
}

struct report_filter {
	regex_t grep, exclude;
	bool has_grep, has_exclude;
	const char *comm;
	long long pid; /* -1: any */
	double min_share; /* percent */
};

static bool any_match(const regex_t *re, const struct lt_sample *s)
{
	if (!regexec(re, s->comm, 0, NULL, 0))
		return true;
	for (uint32_t k = 0; k < s->nframes; k++)
		if (!regexec(re, s->frames[k], 0, NULL, 0))
			return true;
	return false;
}

/* dst: the lines of src that pass f, one sample each. 0 or -ENOMEM. */
static int filter(const struct lt_profile *src, const struct report_filter *f,
		  struct lt_profile *dst)
{
	struct lt_stack_line *l;
	uint64_t total = 0;
	size_t n;
	bool *keep;
	int err = lt_profile__lines(src, &l, &n);

	if (err)
		return err;
	keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep) {
		lt_stack_lines__free(l, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct lt_sample *s = l[i].first;

		keep[i] = (!f->comm || !strcmp(s->comm, f->comm)) &&
			  (f->pid < 0 || s->tgid == f->pid) &&
			  (!f->has_grep || any_match(&f->grep, s)) &&
			  (!f->has_exclude || !any_match(&f->exclude, s));
		if (keep[i])
			total += l[i].total;
	}
	for (size_t i = 0; i < n && !err; i++) {
		const struct lt_sample *s = l[i].first;
		struct lt_sample *d;

		if (!keep[i] || (double)l[i].total * 100.0 < f->min_share * (double)total)
			continue;
		d = lt_profile__add_named(dst, s->tgid, s->pid, s->comm, s->frames, s->kind,
					  s->nframes);
		if (!d) {
			err = -ENOMEM;
			break;
		}
		d->total = l[i].total;
		d->total2 = l[i].total2;
		d->count = l[i].count;
		if (lt_hist_copy(&d->hist, l[i].hist)) {
			err = -ENOMEM;
			break;
		}
	}
	free(keep);
	lt_stack_lines__free(l, n);
	return err;
}

static int compile(regex_t *re, const char *arg, const char *opt)
{
	int rc = regcomp(re, arg, REG_EXTENDED | REG_NOSUB);
	char msg[128];

	if (rc) {
		regerror(rc, re, msg, sizeof(msg));
		lt_err("invalid %s '%s': %s", opt, arg, msg);
		return -EINVAL;
	}
	return 0;
}

int report_main(int argc, char **argv)
{
	struct report_filter flt = { .pid = -1 };
	struct lt_report_meta meta;
	bool unit_given = false;
	struct lt_out_opts oo = { .minwidth = 0.1 };
	const char *format = NULL, *output = NULL, *unit = "us", *palette = NULL;
	struct lt_profile in, out;
	struct lt_output *o = NULL;
	unsigned long long top = 10;
	bool quiet = false;
	int key, err = 0, rc = LT_EXIT_USAGE;

	lt_profile__init(&in, "report", unit, "value");
	lt_profile__init(&out, "report", unit, "value");
	optind = 1;
	opterr = 0;
	while ((key = getopt_long(argc, argv, ":f:o:qh", report_longopts, NULL)) != -1) {
		switch (key) {
		case OPT_GREP:
			err = compile(&flt.grep, optarg, "--grep");
			flt.has_grep = !err;
			break;
		case OPT_EXCLUDE:
			err = compile(&flt.exclude, optarg, "--exclude");
			flt.has_exclude = !err;
			break;
		case OPT_COMM: flt.comm = optarg; break;
		case OPT_PID: {
			unsigned long long v;

			err = lt_parse_u64(optarg, "--pid", 1, 0x7fffffff, &v);
			flt.pid = (long long)v;
			break;
		}
		case OPT_MIN_SHARE: {
			char *end;

			flt.min_share = strtod(optarg, &end);
			if (end == optarg || (*end && strcmp(end, "%")) || flt.min_share < 0 ||
			    flt.min_share > 100) {
				lt_err("invalid --min-share '%s': expected a percentage, 0 to 100",
				       optarg);
				err = -EINVAL;
			}
			break;
		}
		case 'f':
			if (!lt_output_format_known(optarg)) {
				lt_err("unknown output format '%s': expected one of %s", optarg,
				       lt_output_formats());
				err = -EINVAL;
			}
			format = optarg;
			break;
		case 'o': output = optarg; break;
		case OPT_TOP: err = lt_parse_u64(optarg, "--top", 0, 100000, &top); break;
		case OPT_UNIT:
			unit = optarg;
			unit_given = true;
			break;
		case OPT_PALETTE: palette = optarg; break;
		case OPT_TITLE: oo.title = optarg; break;
		case OPT_ICICLE: oo.icicle = true; break;
		case OPT_MINWIDTH: err = lt_parse_minwidth(optarg, &oo); break;
		case 'q': quiet = true; break;
		case 'h':
			printf(report_help, lt_output_formats());
			rc = LT_EXIT_OK;
			goto out;
		case ':':
			lt_err("option '%s' needs a value", argv[optind - 1]);
			err = -EINVAL;
			break;
		default:
			lt_err("unknown option '%s'; see 'latprof report --help'",
			       argv[optind - 1]);
			err = -EINVAL;
		}
		if (err)
			goto out;
	}
	if (optind >= argc) {
		lt_err("no input files; see 'latprof report --help'");
		goto out;
	}
	rc = LT_EXIT_FAIL;
	if ((format || output) && lt_output__open(output, format ? format : "folded", &oo, &o))
		goto out;
	err = lt_report_read(argc - optind, argv + optind, &in, &meta);
	if (!err && flt.pid >= 0 && !meta.has_pids) {
		lt_err("--pid: the input has no pids (folded stacks carry none; trace with -f json "
		       "to keep them)");
		err = -EINVAL;
	}
	if (!err && !unit_given && meta.unit[0])
		unit = meta.unit;
	else if (!err && !unit_given && meta.unit_unknown)
		unit = lt_unknown_unit();
	if (!palette && meta.tool[0])
		palette = meta.tool;
	in.unit = out.unit = unit;
	out.tool = palette ? palette : "report";
	err = err ?: filter(&in, &flt, &out);
	if (err) {
		if (err == -ENOMEM)
			lt_err("out of memory reading profiles");
		goto out;
	}
	snprintf(out.target, sizeof(out.target), "%d file%s", argc - optind,
		 argc - optind > 1 ? "s" : "");
	if (!quiet && lt_write_tables(o ? stderr : stdout, &out, top)) {
		lt_err("cannot write the tables: %s", strerror(EIO));
		goto out;
	}
	if (o && lt_output__write(o, &out))
		goto out;
	rc = LT_EXIT_OK;
out:
	lt_output__close(o);
	if (flt.has_grep)
		regfree(&flt.grep);
	if (flt.has_exclude)
		regfree(&flt.exclude);
	lt_profile__free(&in);
	lt_profile__free(&out);
	return rc;
}
