// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * -f hist: a text histogram per process (and the tool's aux: offcpu's
 * [preempted], io's device and operation), in the BCC style (power-of-two rows
 * with bars), plus p50/p90/p99/p99.9/max estimated from the profile's
 * log-linear buckets, which are finer than the rows shown.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "output.h"

struct hkey {
	uint32_t tgid;
	char comm[LT_COMM_LEN];
	const char *label; /* the tool's name for the sample's aux ("" none), interned */
	uint64_t total, total2;
	struct lt_hist h;
};

static int cmp_hkey(const void *a, const void *b)
{
	const struct hkey *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* Power-of-two rows from the fine buckets: row r holds [2^(r-1), 2^r), row 0 the zeros. */
static unsigned int row_of(uint64_t v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

static void print_hist(FILE *f, const struct lt_hist *h, uint64_t sum, const char *unit)
{
	uint64_t rows[65] = { 0 }, max = 0;
	unsigned int first = 64, last = 0;
	char q[5][48];
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
	static const char *qn[] = { "p50", "p90", "p99", "p99.9", "max" };

	for (uint32_t i = 0; i < h->n; i++) {
		unsigned int r = row_of(lt_hist_slot_lo(h->b[i].slot));

		rows[r] += h->b[i].count;
		if (r < first)
			first = r;
		if (r > last)
			last = r;
	}
	for (unsigned int r = first; r <= last; r++)
		if (rows[r] > max)
			max = rows[r];
	fprintf(f, "%24s: %-9s  %s\n",
		!strcmp(unit, "us") ? "usecs" :
		!strcmp(unit, "ns") ? "nsecs" :
				      unit,
		"count", "distribution");
	for (unsigned int r = first; r <= last && h->n; r++) {
		uint64_t lo = r ? 1ULL << (r - 1) : 0, hi = r ? (1ULL << r) - 1 : 0;
		int stars = max ? (int)((rows[r] * 40 + max - 1) / max) : 0;

		fprintf(f, "%10llu -> %-10llu: %-9llu |%-*.*s%*s|\n", (unsigned long long)lo,
			(unsigned long long)hi, (unsigned long long)rows[r], stars, stars,
			"****************************************", 40 - stars, "");
	}
	for (int i = 0; i < 5; i++)
		lt_format_value(q[i], sizeof(q[i]), lt_hist_quantile_sum(h, qs[i], sum), unit);
	fprintf(f, "     ");
	for (int i = 0; i < 5; i++)
		fprintf(f, "%s %s%s", qn[i], q[i], i < 4 ? "   " : "\n");
}

int lt_write_hist(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o)
{
	struct hkey *k = calloc(p->n + 1, sizeof(*k));
	struct lt_hist all = { 0 };
	uint64_t events = 0, total = 0;
	size_t nk = 0;
	bool same_label = true;
	char v[48];
	int err = 0;

	(void)o;
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < p->n && !err; i++) {
		const struct lt_sample *s = &p->samples[i];
		const char *label = p->aux_frame ? p->aux_frame(p->aux_ctx, s->aux) : NULL;
		size_t j;

		/* A state at the leaf (wall's [cpu], [runqueue], [blocked:io]) labels it too. */
		if (!label && p->aux_leaf)
			label = lt_sample__state(s);

		/* Keys compare by text: aux_frame may reuse one buffer. */
		label = label ? label : "";
		for (j = 0; j < nk; j++)
			if (k[j].tgid == s->tgid && !strncmp(k[j].comm, s->comm, LT_COMM_LEN) &&
			    !strcmp(k[j].label, label))
				break;
		if (j == nk) {
			k[nk].tgid = s->tgid;
			memcpy(k[nk].comm, s->comm, LT_COMM_LEN);
			k[nk].label = strdup(label);
			if (!k[nk].label) {
				err = -ENOMEM;
				break;
			}
			nk++;
		}
		k[j].total += s->total;
		k[j].total2 += s->total2;
		total += s->total;
		err = lt_hist_merge(&k[j].h, &s->hist) ?: lt_hist_merge(&all, &s->hist);
	}
	if (err)
		goto out;
	events = lt_hist_count(&all);
	lt_format_value(v, sizeof(v), (double)total, p->unit);
	fprintf(f, "latprof %s: %s of %s, %s, %llu events, total %s\n", p->tool,
		p->what ? p->what : "value", p->target, p->unit, (unsigned long long)events, v);
	if (!events) {
		fprintf(f, "no histograms: the profile has no events (folded stacks carry none)\n");
		goto out;
	}
	/* A sum over different labels (io's queued and device time) would mean nothing. */
	for (size_t j = 1; j < nk; j++)
		if (strcmp(k[j].label, k[0].label))
			same_label = false;
	if (nk > 1 && same_label) {
		fprintf(f, "\nall:\n");
		print_hist(f, &all, total, p->unit);
	}
	qsort(k, nk, sizeof(*k), cmp_hkey);
	for (size_t j = 0; j < nk; j++) {
		uint64_t n = lt_hist_count(&k[j].h);

		if (!n)
			continue;
		lt_format_value(v, sizeof(v), (double)k[j].total, p->unit);
		fprintf(f, "\n%s", k[j].comm[0] ? k[j].comm : "?");
		if (k[j].tgid)
			fprintf(f, " [pid %u]", k[j].tgid);
		fprintf(f, "%s%s: %llu events, total %s", k[j].label[0] ? " " : "", k[j].label,
			(unsigned long long)n, v);
		if (p->unit2) {
			lt_format_value(v, sizeof(v), (double)k[j].total2, p->unit2);
			fprintf(f, ", %s", v);
		}
		fputc('\n', f);
		print_hist(f, &k[j].h, k[j].total, p->unit);
	}
	fprintf(f, "\nPercentiles are %s; rows above are powers of two.\n", LT_HIST_METHOD);
	err = ferror(f) ? -EIO : 0;
out:
	for (size_t j = 0; j < nk; j++) {
		lt_hist_free(&k[j].h);
		free((char *)k[j].label);
	}
	lt_hist_free(&all);
	free(k);
	return err;
}
