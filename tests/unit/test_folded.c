// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The profile merge and the folded writer, on hand-made samples. */
#include <stdlib.h>
#include "output.h"
#include "profile.h"
#include "tap.h"

static const char *aux_frame(void *ctx, uint64_t aux)
{
	(void)ctx;
	return aux == 2 ? "[preempted]" : NULL;
}

/* Give a sample frames by hand, as lt_profile__symbolize() would. */
static void frames(struct lt_sample *s, const char **names, const uint8_t *kernel, int n)
{
	s->frames = calloc(n + 1, sizeof(*s->frames));
	s->kind = calloc(n + 1, 1);
	for (int i = 0; i < n; i++) {
		s->frames[i] = names[i];
		s->kind[i] = kernel[i];
	}
	s->nframes = n;
}

int main(void)
{
	struct lt_profile p;
	struct lt_sample *a, *b, *c, *d;
	uint64_t u1[] = { 0x1000, 0x2000 }, k1[] = { 0xffff1 };
	const char *n1[] = { "main", "work", "read", "vfs_read" };
	const uint8_t kk1[] = { 0, 0, 0, 1 };
	const char *n3[] = { "[preempted]", "main", "spin" };
	const uint8_t kk3[] = { LT_FRAME_PSEUDO, LT_FRAME_USER, LT_FRAME_INLINED };
	char buf[4096] = "";
	FILE *f;

	lt_profile__init(&p, "offcpu", "us", "off-CPU time");
	p.aux_frame = aux_frame;
	a = lt_profile__get(&p, 10, 11, 0, "app", u1, 2, k1, 1);
	a->total += 100;
	a->count += 2;
	b = lt_profile__get(&p, 10, 11, 0, "app", u1, 2, k1, 1);
	ok(a == b && p.n == 1, "identical key merges into one sample");
	b->total += 50;
	b->count += 1;
	ok(a->total == 150 && a->count == 3, "totals add");
	c = lt_profile__get(&p, 10, 12, 0, "app", u1, 2, k1, 1);
	c->total += 25;
	c->count += 1;
	d = lt_profile__get(&p, 10, 12, 2, "app", u1, 1, NULL, 0);
	d->total += 7;
	d->count += 1;
	ok(p.n == 3, "other thread and other aux are separate samples");
	for (int i = 0; i < 5000; i++) {
		uint64_t u = i + 1;
		struct lt_sample *s = lt_profile__get(&p, 1, 1, 0, "x", &u, 1, NULL, 0);

		s->total++;
	}
	ok(p.n == 5003, "index grows: 5000 distinct samples kept");
	/* Only the first four samples get frames; the rest write as "x". */
	frames(&p.samples[0], n1, kk1, 4);
	frames(&p.samples[1], n1, kk1, 4);
	frames(&p.samples[2], n3, kk3, 3);
	for (size_t i = 3; i < p.n; i++) {
		p.samples[i].frames = NULL;
		p.samples[i].nframes = 0;
	}

	f = fmemopen(buf, sizeof(buf), "w");
	/* Limit to the first 3 samples for an exact comparison. */
	{
		size_t n = p.n;

		p.n = 3;
		ok(lt_write_folded(f, &p, NULL) == 0, "folded writer succeeds");
		p.n = n;
	}
	fclose(f);
	is_str(buf,
	       "# latprof offcpu unit=us\n"
	       "app;main;work;read;vfs_read_[k] 175\n"
	       "app;[preempted];main;spin_[i] 7\n",
	       "threads with one stack merge; kernel frames get _[k], inlined _[i]; pseudo-frame "
	       "after comm");
	{
		struct lt_stack_line *l;
		size_t n;
		size_t keep = p.n;

		p.n = 3;
		ok(lt_profile__lines(&p, &l, &n) == 0 && n == 2 && l[0].nthreads == 2 &&
			   l[0].count == 4,
		   "lines: merged count 4 over 2 threads");
		lt_stack_lines__free(l, n);
		p.n = keep;
	}
	for (size_t i = 0; i < 3; i++) {
		free(p.samples[i].frames);
		free(p.samples[i].kind);
		p.samples[i].frames = NULL;
		p.samples[i].kind = NULL;
	}
	lt_profile__free(&p);
	return tap_done();
}
