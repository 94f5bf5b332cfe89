// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Top-N tables over a named profile, for report: the heaviest stacks, and
 * the functions with their self value (as the leaf) and total value (on the
 * stack at all, counted once per stack).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "delta.h"
#include "hash.h"
#include "output.h"

struct fn_stat {
	const char *name; /* interned: one pointer per name */
	uint8_t kind;
	uint64_t self, total;
	size_t last_line; /* line index + 1 that last added to total */
};

struct fn_table {
	struct fn_stat *e;
	size_t n, cap; /* cap: power of two */
};

static struct fn_stat *fn_get(struct fn_table *t, const char *name, uint8_t kind)
{
	size_t j;

	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct fn_stat *e = calloc(cap, sizeof(*e));

		if (!e)
			return NULL;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->e[i].name)
				continue;
			for (j = ((uintptr_t)t->e[i].name >> 4) & (cap - 1); e[j].name;
			     j = (j + 1) & (cap - 1))
				;
			e[j] = t->e[i];
		}
		free(t->e);
		t->e = e;
		t->cap = cap;
	}
	for (j = ((uintptr_t)name >> 4) & (t->cap - 1); t->e[j].name; j = (j + 1) & (t->cap - 1))
		if (t->e[j].name == name && t->e[j].kind == kind)
			return &t->e[j];
	t->e[j] = (struct fn_stat){ .name = name, .kind = kind };
	t->n++;
	return &t->e[j];
}

static int cmp_total(const void *a, const void *b)
{
	const struct fn_stat *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_self(const void *a, const void *b)
{
	const struct fn_stat *x = a, *y = b;

	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char *mark(uint8_t kind)
{
	return kind == LT_FRAME_KERNEL ? " [k]" : kind == LT_FRAME_INLINED ? " [i]" : "";
}

static double pct(uint64_t v, uint64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0;
}

int lt_write_tables(FILE *f, const struct lt_profile *p, unsigned int top)
{
	struct fn_table t = { 0 };
	struct lt_stack_line *l;
	struct fn_stat *fs = NULL;
	uint64_t total = 0;
	char v1[48], v2[48];
	size_t n, nf = 0;
	int err = lt_profile__lines(p, &l, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct lt_sample *s = l[i].first;

		total += l[i].total;
		for (uint32_t k = 0; k < s->nframes; k++) {
			struct fn_stat *e;

			if (s->kind[k] == LT_FRAME_PSEUDO)
				continue;
			e = fn_get(&t, s->frames[k], s->kind[k]);
			if (!e) {
				err = -ENOMEM;
				goto out;
			}
			if (e->last_line != i + 1) { /* recursion: once per stack */
				e->total += l[i].total;
				e->last_line = i + 1;
			}
			if (k + 1 == s->nframes)
				e->self += l[i].total;
		}
	}
	lt_format_value(v1, sizeof(v1), (double)total, p->unit);
	fprintf(f, "%s: %zu stacks, total %s\n\nTop stacks\n%10s %7s  %s\n", p->target, n, v1,
		"TOTAL", "SHARE", "COMM; frames leaf first, user then [k]ernel");
	for (size_t i = 0; i < n && i < top; i++) {
		lt_format_value(v1, sizeof(v1), (double)l[i].total, p->unit);
		fprintf(f, "%10s %6.2f%%  %s\n", v1, pct(l[i].total, total), l[i].first->comm);
		lt_print_frames(f, l[i].first);
	}
	if (n > top)
		fprintf(f, "  ... %zu more stacks\n", n - top);

	fs = malloc((t.n ? t.n : 1) * sizeof(*fs));
	if (!fs) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < t.cap; i++)
		if (t.e[i].name)
			fs[nf++] = t.e[i];
	qsort(fs, nf, sizeof(*fs), cmp_total);
	fprintf(f, "\nTop functions by total (on the stack)\n%10s %7s %10s %7s  %s\n", "TOTAL",
		"TOTAL%", "SELF", "SELF%", "FUNCTION");
	for (size_t i = 0; i < nf && i < top; i++) {
		lt_format_value(v1, sizeof(v1), (double)fs[i].total, p->unit);
		lt_format_value(v2, sizeof(v2), (double)fs[i].self, p->unit);
		fprintf(f, "%10s %6.2f%% %10s %6.2f%%  %s%s\n", v1, pct(fs[i].total, total), v2,
			pct(fs[i].self, total), fs[i].name, mark(fs[i].kind));
	}
	qsort(fs, nf, sizeof(*fs), cmp_self);
	fprintf(f, "\nTop functions by self (the leaf)\n%10s %7s %10s %7s  %s\n", "SELF", "SELF%",
		"TOTAL", "TOTAL%", "FUNCTION");
	for (size_t i = 0; i < nf && i < top && fs[i].self; i++) {
		lt_format_value(v1, sizeof(v1), (double)fs[i].self, p->unit);
		lt_format_value(v2, sizeof(v2), (double)fs[i].total, p->unit);
		fprintf(f, "%10s %6.2f%% %10s %6.2f%%  %s%s\n", v1, pct(fs[i].self, total), v2,
			pct(fs[i].total, total), fs[i].name, mark(fs[i].kind));
	}
	err = ferror(f) ? -EIO : 0;
out:
	free(fs);
	free(t.e);
	lt_stack_lines__free(l, n);
	return err;
}

/* The stack's text: comm, then frames with their kinds. NULL on ENOMEM. */
static char *stack_key(const struct lt_sample *s)
{
	size_t len = strlen(s->comm) + 2;
	char *k, *p;

	for (uint32_t i = 0; i < s->nframes; i++)
		len += strlen(s->frames[i]) + 3;
	k = p = malloc(len);
	if (!k)
		return NULL;
	p += sprintf(p, "%s", s->comm);
	for (uint32_t i = 0; i < s->nframes; i++)
		p += sprintf(p, ";%c%s", '0' + s->kind[i], s->frames[i]);
	return k;
}

static int add_side(struct lt_delta_map *stacks, struct lt_delta_map *fns,
		    const struct lt_profile *p, int side, double scale)
{
	struct lt_stack_line *l;
	size_t n;
	int err = lt_profile__lines(p, &l, &n);

	for (size_t i = 0; !err && i < n; i++) {
		const struct lt_sample *s = l[i].first;
		double v = (double)l[i].total * scale;
		char *key = stack_key(s), fk[1024];
		struct lt_delta_ent *e = key ? lt_delta_get(stacks, key) : NULL;

		free(key);
		if (!e) {
			err = -ENOMEM;
			break;
		}
		if (!e->s || side)
			e->s = s; /* print from AFTER when it has the stack */
		*(side ? &e->after : &e->before) += v;
		for (uint32_t k = 0; k < s->nframes; k++) {
			if (s->kind[k] == LT_FRAME_PSEUDO)
				continue;
			snprintf(fk, sizeof(fk), "%c%s", '0' + s->kind[k], s->frames[k]);
			e = lt_delta_get(fns, fk);
			if (!e) {
				err = -ENOMEM;
				break;
			}
			if (e->last_line == i + 1 && e->last_side == side)
				continue; /* recursion: once per stack */
			e->last_line = i + 1;
			e->last_side = side;
			e->name = e->key + 1;
			e->kind = s->kind[k];
			*(side ? &e->after : &e->before) += v;
		}
	}
	/* The lines stay referenced by the map (e->s): freed by the caller's profile. */
	lt_stack_lines__free(l, n);
	return err;
}

static int cmp_delta(const void *a, const void *b)
{
	const struct lt_delta_ent *x = *(const struct lt_delta_ent *const *)a;
	const struct lt_delta_ent *y = *(const struct lt_delta_ent *const *)b;
	double dx = x->after - x->before, dy = y->after - y->before;

	dx = dx < 0 ? -dx : dx;
	dy = dy < 0 ? -dy : dy;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void delta_cols(FILE *f, const struct lt_delta_ent *e, const char *unit)
{
	char b[48], a[48], d[48], pc[32];
	double delta = e->after - e->before;

	lt_format_value(b, sizeof(b), e->before, unit);
	lt_format_value(a, sizeof(a), e->after, unit);
	lt_format_value(d + 1, sizeof(d) - 1, delta < 0 ? -delta : delta, unit);
	d[0] = delta < 0 ? '-' : '+';
	if (e->before > 0)
		snprintf(pc, sizeof(pc), "%+.1f%%", 100.0 * delta / e->before);
	else
		snprintf(pc, sizeof(pc), "new");
	fprintf(f, "%10s %10s %11s %8s", b, a, d, pc);
}

/* Entries with a change, biggest first. NULL on ENOMEM; *n set. */
static struct lt_delta_ent **changed(const struct lt_delta_map *m, size_t *n)
{
	struct lt_delta_ent **v = malloc((m->n ? m->n : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < m->cap; i++) {
		const struct lt_delta_ent *e = &m->e[i];
		double d = e->after - e->before;

		/* Below half a unit is rounding of a normalized value, not a change. */
		if (e->key && (d > 0.5 || d < -0.5))
			v[(*n)++] = &m->e[i];
	}
	qsort(v, *n, sizeof(*v), cmp_delta);
	return v;
}

int lt_write_diff_tables(FILE *f, const struct lt_profile *after, const struct lt_profile *before,
			 double scale, unsigned int top)
{
	struct lt_delta_map stacks = { 0 }, fns = { 0 };
	struct lt_delta_ent **cs = NULL, **cf = NULL;
	size_t ncs = 0, ncf = 0;
	int err;

	err = add_side(&stacks, &fns, before, 0, scale);
	err = err ?: add_side(&stacks, &fns, after, 1, 1.0);
	if (!err) {
		cs = changed(&stacks, &ncs);
		cf = changed(&fns, &ncf);
		if (!cs || !cf)
			err = -ENOMEM;
	}
	if (err)
		goto out;
	fprintf(f, "%s -> %s: %zu of %zu stacks changed%s\n", before->target, after->target, ncs,
		stacks.n, scale != 1.0 ? " (BEFORE normalized to AFTER's total)" : "");
	if (ncs) {
		fprintf(f, "\nStacks by change\n%10s %10s %11s %8s  %s\n", "BEFORE", "AFTER",
			"DELTA", "DELTA%", "COMM; frames leaf first, user then [k]ernel");
		for (size_t i = 0; i < ncs && i < top; i++) {
			delta_cols(f, cs[i], after->unit);
			fprintf(f, "  %s\n", cs[i]->s->comm);
			lt_print_frames(f, cs[i]->s);
		}
		if (ncs > top)
			fprintf(f, "  ... %zu more changed stacks\n", ncs - top);
		fprintf(f, "\nFunctions by change (total: on the stack)\n%10s %10s %11s %8s  %s\n",
			"BEFORE", "AFTER", "DELTA", "DELTA%", "FUNCTION");
		for (size_t i = 0; i < ncf && i < top; i++) {
			delta_cols(f, cf[i], after->unit);
			fprintf(f, "  %s%s\n", cf[i]->name, mark(cf[i]->kind));
		}
	}
	err = ferror(f) ? -EIO : 0;
out:
	free(cs);
	free(cf);
	lt_delta_free(&stacks);
	lt_delta_free(&fns);
	return err;
}
