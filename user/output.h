/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one output layer: every tool hands a symbolized profile to the writer
 * of the format chosen with -f, bound for -o FILE or stdout, plus the top-N
 * summary on stderr. Files are written atomically (temp file + rename), and
 * the temp file is created before tracing starts, so an unwritable path fails
 * early.
 */
#ifndef LT_OUTPUT_H
#define LT_OUTPUT_H
#include <stdio.h>
#include "profile.h"

struct lt_output;

/* Options of the writers that have any (svg). */
struct lt_out_opts {
	bool icicle; /* --icicle: root at the top */
	double minwidth; /* --minwidth: frames narrower are left out (pixels, or %) */
	bool minwidth_pct;
	const char *title; /* --title, or NULL for the tool's */
};

/* Known format name? */
bool lt_output_format_known(const char *name);
/* Comma-separated list of format names, for usage text. */
const char *lt_output_formats(void);

/*
 * Prepare output to `path` (NULL or "-": stdout) in `format`. Creates the temp
 * file now. 0 or -errno (printed). Caller frees with lt_output__close().
 */
int lt_output__open(const char *path, const char *format, const struct lt_out_opts *opts,
		    struct lt_output **out);
/* Write the profile and, for a file, rename it into place. 0 or -errno (printed). */
int lt_output__write(struct lt_output *o, const struct lt_profile *p);
/* Write before/after (diff), before's values times scale. 0 or -errno (printed). */
int lt_output__write_diff(struct lt_output *o, const struct lt_profile *after,
			  const struct lt_profile *before, double scale);
/* Path written, or NULL for stdout. */
const char *lt_output__path(const struct lt_output *o);
/* Remove the temp file if nothing was committed; free. */
void lt_output__close(struct lt_output *o);

/* Top-N stacks with total, count and p50/p99, for people. Cannot fail. */
void lt_summary_print(FILE *f, const struct lt_profile *p, unsigned int top);

/* The writers, exposed for tests. 0 or -errno. */
int lt_write_folded(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o);
/*
 * A stack on one line for people: up to 6 user frames leaf first, then
 * "[k]" and the 3 kernel frames nearest the leaf; indented, newline-ended.
 */
void lt_print_frames(FILE *f, const struct lt_sample *s);
/* Top stacks and top functions (self, total), for report (out_table.c). */
int lt_write_tables(FILE *f, const struct lt_profile *p, unsigned int top);
/* Per-process BCC-style histograms with p50..max (out_hist.c). */
int lt_write_hist(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o);
/* gzipped profile.proto for go tool pprof, Pyroscope, Parca (out_pprof.c). */
int lt_write_pprof(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o);
/* Every sample with frames, totals and histogram, for scripts (out_json.c). */
int lt_write_json(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o);
/*
 * Before/after tables for diff: stacks and functions (total) by change,
 * with before, after, delta and delta %; before's values times scale.
 */
int lt_write_diff_tables(FILE *f, const struct lt_profile *after, const struct lt_profile *before,
			 double scale, unsigned int top);
/*
 * Before/after folded stacks, "stack BEFORE AFTER" per line: the input
 * flamegraph.pl draws a differential graph from (its difffolded.pl's output).
 */
int lt_write_folded_diff(FILE *f, const struct lt_profile *after, const struct lt_profile *before,
			 double scale, const struct lt_out_opts *o);
/* A self-contained interactive flame graph (out_svg.c). */
int lt_write_svg(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o);
/*
 * A differential flame graph: widths from after, colour and titles from the
 * change against before (its values times scale: 1, or after/before totals
 * with --normalize). Red grew, blue shrank.
 */
int lt_write_svg_diff(FILE *f, const struct lt_profile *after, const struct lt_profile *before,
		      double scale, const struct lt_out_opts *o);

/* Format a value of the profile's unit for people: "1.23 s", "52.4 ms", "12 KiB". */
void lt_format_value(char *buf, size_t sz, double v, const char *unit);

#endif
