// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "err.h"
#include "folded.h"
#include "hash.h"
#include "output.h"

struct lt_format {
	const char *name;
	int (*write)(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o);
	/* Before/after, for diff; NULL when the format cannot show one. */
	int (*write_diff)(FILE *f, const struct lt_profile *after, const struct lt_profile *before,
			  double scale, const struct lt_out_opts *o);
};

static const struct lt_format formats[] = {
	{ "folded", lt_write_folded, lt_write_folded_diff },
	{ "svg", lt_write_svg, lt_write_svg_diff },
	{ "json", lt_write_json, NULL },
	{ "pprof", lt_write_pprof, NULL },
	{ "hist", lt_write_hist, NULL },
};

struct lt_output {
	const struct lt_format *fmt;
	struct lt_out_opts opts;
	char *path; /* NULL: stdout */
	char *tmp;
	FILE *f;
	bool committed;
	bool direct; /* written in place (not a regular file): f is ours to close */
};

static const struct lt_format *find_format(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(formats[i].name, name))
			return &formats[i];
	return NULL;
}

bool lt_output_format_known(const char *name)
{
	return find_format(name) != NULL;
}

const char *lt_output_formats(void)
{
	return "folded, svg, json, pprof, hist";
}

int lt_output__open(const char *path, const char *format, const struct lt_out_opts *opts,
		    struct lt_output **out)
{
	struct lt_output *o = calloc(1, sizeof(*o));
	int fd, err;

	if (!o)
		return -ENOMEM;
	o->fmt = find_format(format);
	if (!o->fmt) {
		lt_err("unknown output format '%s': expected one of %s", format,
		       lt_output_formats());
		free(o);
		return -EINVAL;
	}
	if (opts)
		o->opts = *opts;
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		*out = o;
		return 0;
	}
	/*
	 * Only a regular file (or a new one) is written to a temp file and renamed
	 * into place: /dev/null, a FIFO or a terminal must be written as it is,
	 * never replaced.
	 */
	{
		struct stat st;

		if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
			o->f = fopen(path, "w");
			if (!o->f) {
				err = -errno;
				lt_err("cannot write output '%s': %s", path, strerror(errno));
				free(o);
				return err;
			}
			o->direct = true;
			*out = o;
			return 0;
		}
	}
	o->path = strdup(path);
	if (!o->path || asprintf(&o->tmp, "%s.tmp.XXXXXX", path) < 0) {
		err = -ENOMEM;
		goto err_free;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		err = -errno;
		lt_err("cannot write output '%s': %s", path, strerror(errno));
		goto err_free;
	}
	fchmod(fd, 0644);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		close(fd);
		unlink(o->tmp);
		lt_err("cannot write output '%s': %s", path, strerror(-err));
		goto err_free;
	}
	*out = o;
	return 0;

err_free:
	free(o->tmp);
	free(o->path);
	free(o);
	return err;
}

/* Flush, and for a file sync, close and rename into place. 0 or -errno (printed). */
static int commit(struct lt_output *o, int err);

int lt_output__write(struct lt_output *o, const struct lt_profile *p)
{
	return commit(o, o->fmt->write(o->f, p, &o->opts));
}

int lt_output__write_diff(struct lt_output *o, const struct lt_profile *after,
			  const struct lt_profile *before, double scale)
{
	if (!o->fmt->write_diff) {
		lt_err("format '%s' cannot show a diff: use folded or svg", o->fmt->name);
		return -EINVAL;
	}
	return commit(o, o->fmt->write_diff(o->f, after, before, scale, &o->opts));
}

static int commit(struct lt_output *o, int err)
{
	if (fflush(o->f) && !err)
		err = -errno;
	if (err) {
		lt_err("cannot write output '%s': %s", o->path ? o->path : "<stdout>",
		       strerror(-err));
		return err;
	}
	if (!o->path)
		return 0;
	if (fsync(fileno(o->f)) || fclose(o->f)) {
		err = -errno;
		o->f = NULL;
		lt_err("cannot write output '%s': %s", o->path, strerror(-err));
		return err;
	}
	o->f = NULL;
	if (rename(o->tmp, o->path)) {
		err = -errno;
		lt_err("cannot rename '%s' to '%s': %s", o->tmp, o->path, strerror(-err));
		return err;
	}
	o->committed = true;
	return 0;
}

const char *lt_output__path(const struct lt_output *o)
{
	return o->path;
}

void lt_output__close(struct lt_output *o)
{
	if (!o)
		return;
	if (o->direct && o->f)
		fclose(o->f);
	if (o->path) {
		if (o->f)
			fclose(o->f);
		if (!o->committed)
			unlink(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	free(o);
}

/* Three significant digits, without an exponent for big numbers; no unit: the number. */
static void scaled(char *buf, size_t sz, double v, const char *unit)
{
	if (!*unit)
		snprintf(buf, sz, v >= 1000 ? "%.0f" : "%.3g", v);
	else
		snprintf(buf, sz, v >= 1000 ? "%.0f %s" : "%.3g %s", v, unit);
}

void lt_format_value(char *buf, size_t sz, double v, const char *unit)
{
	static const char *const bytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };

	if (!strcmp(unit, "ns")) { /* func: down to the nanosecond */
		if (v >= 1e3) {
			lt_format_value(buf, sz, v / 1e3, "us");
			return;
		}
		scaled(buf, sz, v, "ns");
		return;
	}
	if (!strcmp(unit, "us")) {
		if (v >= 1e6)
			scaled(buf, sz, v / 1e6, "s");
		else if (v >= 1e3)
			scaled(buf, sz, v / 1e3, "ms");
		else
			scaled(buf, sz, v, "us");
		return;
	}
	if (!strcmp(unit, "bytes")) {
		size_t i = 0;

		while (v >= 1024 && i + 1 < sizeof(bytes) / sizeof(bytes[0])) {
			v /= 1024;
			i++;
		}
		scaled(buf, sz, v, bytes[i]);
		return;
	}
	scaled(buf, sz, v, unit);
}

/*
 * The second half (after "--"), stored leaf first and ending with its comm:
 * "woken by COMM: user frames leaf first   [k] kernel frames leaf first".
 */
static void print_second(FILE *f, const struct lt_sample *s, uint32_t sep)
{
	uint32_t last = s->nframes - 1;
	int shown = 0;

	fprintf(f, "      woken by %s", s->frames[last]);
	if (last == sep + 1) { /* [timer], [irq]: no stack */
		fputc('\n', f);
		return;
	}
	fputs(":", f);
	for (uint32_t i = sep + 1; i < last && shown < 6; i++)
		if (s->kind[i] != LT_FRAME_KERNEL && s->kind[i] != LT_FRAME_PSEUDO)
			fprintf(f, "%s%s", shown++ ? " <- " : " ", s->frames[i]);
	fprintf(f, "%s[k] ", shown ? "   " : " ");
	shown = 0;
	for (uint32_t i = sep + 1; i < last && shown < 3; i++)
		if (s->kind[i] == LT_FRAME_KERNEL)
			fprintf(f, "%s%s", shown++ ? " <- " : "", s->frames[i]);
	fputc('\n', f);
}

void lt_print_frames(FILE *f, const struct lt_sample *s)
{
	uint32_t end = lt_sample__second_at(s);
	int first_k = -1, ushown = 0;

	fputs("      ", f);
	/* The tool's pseudo-frames first: they are what tells rows apart (peer, file, kind). */
	for (uint32_t i = 0; i < end; i++) {
		if (s->kind[i] == LT_FRAME_KERNEL && first_k < 0)
			first_k = i;
		if (s->kind[i] == LT_FRAME_PSEUDO)
			fprintf(f, "%s  ", s->frames[i]);
	}
	for (int i = (first_k < 0 ? (int)end : first_k) - 1; i >= 0 && ushown < 6; i--) {
		if (s->kind[i] == LT_FRAME_PSEUDO)
			continue;
		fprintf(f, "%s%s", ushown ? " <- " : "", s->frames[i]);
		ushown++;
	}
	if (first_k >= 0) {
		int last = end - 1, shown = 0;

		fprintf(f, "%s[k] ", ushown ? "   " : "");
		for (int i = last; i >= first_k && shown < 3; i--) {
			if (s->kind[i] == LT_FRAME_PSEUDO) /* shown first (wall's state) */
				continue;
			fprintf(f, "%s%s", shown++ ? " <- " : "", s->frames[i]);
		}
	}
	fputc('\n', f);
	if (end < s->nframes)
		print_second(f, s, end);
}

/* One half of a line: its comm and frames [lo, hi) by their pooled pointers. */
static uint64_t half_hash(const struct lt_sample *s, uint32_t lo, uint32_t hi, bool comm)
{
	uint64_t h = comm ? lt_hash_str(s->comm) : 0x9e3779b97f4a7c15ULL;

	for (uint32_t i = lo; i < hi; i++)
		h = (h ^ (uint64_t)(uintptr_t)s->frames[i]) * 0x100000001b3ULL;
	return h;
}

struct pair {
	uint64_t blocked, waker; /* half_hash of each half */
	size_t line;
	uint64_t total;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->blocked != y->blocked)
		return x->blocked < y->blocked ? -1 : 1;
	return x->total != y->total ? (x->total < y->total ? 1 : -1) : 0;
}

struct group {
	size_t first, n; /* its pairs, the largest first */
	uint64_t total;
};

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	return x->total != y->total ? (x->total < y->total ? 1 : -1) :
				      (x->first > y->first) - (x->first < y->first);
}

/*
 * With a second half (offcpu --wakers): the top blocked stacks, each with
 * the share of its time each of its top 3 wakers ended, across threads.
 */
static void print_pairs(FILE *f, const struct lt_profile *p, const struct lt_stack_line *l,
			size_t n, unsigned int top)
{
	struct pair *v = calloc(n + 1, sizeof(*v));
	struct group *g = calloc(n + 1, sizeof(*g));
	size_t np = 0, ng = 0;

	for (size_t i = 0; v && g && i < n; i++) {
		const struct lt_sample *s = l[i].first;
		uint32_t sep = lt_sample__second_at(s);

		if (sep == s->nframes || !l[i].total)
			continue;
		v[np++] = (struct pair){ half_hash(s, 0, sep, true),
					 half_hash(s, sep + 1, s->nframes, false), i, l[i].total };
	}
	if (!np)
		goto out;
	qsort(v, np, sizeof(*v), pair_cmp);
	for (size_t i = 0; i < np; i++) {
		if (!i || v[i].blocked != v[i - 1].blocked)
			g[ng++] = (struct group){ i, 0, 0 };
		g[ng - 1].n++;
		g[ng - 1].total += v[i].total;
	}
	qsort(g, ng, sizeof(*g), group_cmp);
	fprintf(f, "latprof %s: the top blocked stacks, and who woke them\n", p->tool);
	for (size_t i = 0; i < ng && i < top; i++) {
		const struct lt_sample *s = l[v[g[i].first].line].first;
		uint32_t sep = lt_sample__second_at(s);
		char tot[32];
		int shown = 0;

		lt_format_value(tot, sizeof(tot), (double)g[i].total, p->unit);
		fprintf(f, "%10s  %s:", tot, s->comm);
		for (uint32_t k = sep; k-- > 0 && shown < 5;)
			if (s->kind[k] == LT_FRAME_USER || s->kind[k] == LT_FRAME_INLINED)
				fprintf(f, "%s%s", shown++ ? " <- " : " ", s->frames[k]);
		fputc('\n', f);
		for (size_t j = 0; j < g[i].n && j < 3; j++) {
			const struct pair *pr = &v[g[i].first + j];
			const struct lt_sample *w = l[pr->line].first;
			uint32_t wsep = lt_sample__second_at(w), last = w->nframes - 1;

			lt_format_value(tot, sizeof(tot), (double)pr->total, p->unit);
			fprintf(f, "%10s  %5.1f%%  woken by %s", tot,
				100.0 * (double)pr->total / (double)g[i].total, w->frames[last]);
			shown = 0;
			for (uint32_t k = wsep + 1; k < last && shown < 4; k++)
				if (w->kind[k] == LT_FRAME_USER || w->kind[k] == LT_FRAME_INLINED)
					fprintf(f, "%s%s", shown++ ? " <- " : ": ", w->frames[k]);
			fputc('\n', f);
		}
		if (g[i].n > 3)
			fprintf(f, "%10s  ... %zu more wakers\n", "", g[i].n - 3);
	}
out:
	free(v);
	free(g);
}

void lt_summary_print(FILE *f, const struct lt_profile *p, unsigned int top)
{
	struct lt_stack_line *l;
	char tot[32], p50[32], p99[32];
	uint64_t total = 0, count = 0;
	/* Every event weighs 1 (alloc --value count, faults): no percentiles. */
	bool counts = strcmp(p->unit, "us") && strcmp(p->unit, "ns") && strcmp(p->unit, "bytes");
	size_t n;

	if (lt_profile__lines_split(p, true, &l, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		total += l[i].total;
		count += l[i].count;
		counts = counts && l[i].total == l[i].count;
	}
	lt_format_value(tot, sizeof(tot), (double)total, p->unit);
	fprintf(f, "latprof %s: %s, %.1f s: %s in %llu events over %zu stacks\n", p->tool,
		p->target, p->duration_s, tot, (unsigned long long)count, n);
	if (!n) {
		lt_stack_lines__free(l, n);
		return;
	}
	if (counts)
		fprintf(f, "%10s  %s\n", p->unit[0] ? p->unit : "COUNT",
			"COMM [PID/TID]; frames leaf first, user then [k]ernel");
	else
		fprintf(f, "%10s %8s %10s %10s  %s\n", "TOTAL", "COUNT", "P50", "P99",
			"COMM [PID/TID]; frames leaf first, user then [k]ernel");
	for (size_t i = 0; i < n && i < top; i++) {
		const struct lt_sample *s = l[i].first;
		char ns[48], cut[80];

		lt_format_value(tot, sizeof(tot), (double)l[i].total, p->unit);
		lt_format_value(p50, sizeof(p50), lt_hist_quantile_sum(l[i].hist, 0.50, l[i].total),
				p->unit);
		lt_format_value(p99, sizeof(p99), lt_hist_quantile_sum(l[i].hist, 0.99, l[i].total),
				p->unit);
		ns[0] = 0;
		if (s->nspid && s->nspid != s->tgid)
			snprintf(ns, sizeof(ns), ", pid %u in its namespace", s->nspid);
		cut[0] = 0;
		if (lt_sample__cut(s))
			snprintf(cut, sizeof(cut), "; user stack cut: %s",
				 lt_ureason_text[s->ureason]);
		if (counts)
			fprintf(f, "%10llu  %s [%u/%u%s]%s%s\n", (unsigned long long)l[i].count,
				s->comm, s->tgid, s->pid, ns,
				l[i].nthreads > 1 ? " and other threads" : "", cut);
		else
			fprintf(f, "%10s %8llu %10s %10s  %s [%u/%u%s]%s%s\n", tot,
				(unsigned long long)l[i].count, p50, p99, s->comm, s->tgid, s->pid,
				ns, l[i].nthreads > 1 ? " and other threads" : "", cut);
		lt_print_frames(f, s);
	}
	if (n > top)
		fprintf(f, "  ... %zu more stacks in the output\n", n - top);
	if (!counts)
		fprintf(f, "  (P50/P99 %s)\n", LT_HIST_METHOD);
	print_pairs(f, p, l, n, top);
	lt_stack_lines__free(l, n);
}
