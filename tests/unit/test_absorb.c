// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a long trace's drains do to the named profile: lt_profile__absorb()
 * merges each drain's named samples into the run's profile, and
 * lt_profile__fold() merges the rows of exited processes per command.
 */
#include <stdlib.h>
#include <string.h>
#include "profile.h"
#include "tap.h"

/* A named sample as lt_profile__symbolize() leaves one: frames root first, module 1. */
static struct lt_sample *add(struct lt_profile *p, uint32_t tgid, const char *comm,
			     const char *leaf, uint64_t total)
{
	const char *names[] = { "_start", "main", leaf };
	const uint8_t kinds[] = { LT_FRAME_USER, LT_FRAME_USER, LT_FRAME_USER };
	struct lt_sample *s = lt_profile__add_named(p, tgid, tgid, comm, names, kinds, 3);

	s->mod = calloc(4, sizeof(*s->mod));
	for (int i = 0; i < 3; i++)
		s->mod[i] = p->nmods; /* the last module added */
	s->total = total;
	s->count = 1;
	s->ureason = LT_UR_COMPLETE;
	lt_hist_add(&s->hist, total, 1);
	p->ur_events[LT_UR_COMPLETE]++;
	p->ur_value[LT_UR_COMPLETE] += total;
	return s;
}

/* One module, path, in p (as symbolize adds them). */
static void module(struct lt_profile *p, const char *path)
{
	p->mods = realloc(p->mods, (p->nmods + 1) * sizeof(*p->mods));
	p->mods[p->nmods].path = strdup(path);
	p->mods[p->nmods].build_id = strdup("");
	p->mods[p->nmods++].unnamed = false;
}

static const struct lt_sample *find(const struct lt_profile *p, uint32_t tgid, const char *leaf)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->samples[i].tgid == tgid && !strcmp(p->samples[i].frames[2], leaf))
			return &p->samples[i];
	return NULL;
}

static bool gone(void *ctx, uint32_t tgid)
{
	(void)ctx;
	return tgid == 100 || tgid == 200;
}

int main(void)
{
	struct lt_profile run, d1, d2;
	const struct lt_sample *s;
	struct lt_stack_line *l;
	size_t nl;
	long removed;

	lt_profile__init(&run, "offcpu", "us", "off-CPU time");
	lt_profile__init(&d1, "offcpu", "us", "off-CPU time");
	lt_profile__init(&d2, "offcpu", "us", "off-CPU time");
	/* Two drains whose modules are numbered differently. */
	module(&d1, "/usr/bin/churn");
	add(&d1, 100, "churn", "churn_nap", 2000);
	add(&d1, 200, "churn", "churn_nap", 2100);
	module(&d2, "/usr/lib/libc.so.6");
	module(&d2, "/usr/bin/churn");
	add(&d2, 100, "churn", "churn_nap", 1900);
	add(&d2, 300, "sshd", "poll", 50000);
	d2.stats[LT_STAT_EVENTS] = 4;

	ok(!lt_profile__absorb(&run, &d1), "absorb the first drain");
	lt_profile__free(&d1);
	ok(!lt_profile__absorb(&run, &d2), "absorb the second");
	lt_profile__free(&d2);
	ok(run.n == 3, "equal rows of a thread merge across drains: 3 rows (%zu)", run.n);
	s = find(&run, 100, "churn_nap");
	ok(s && s->total == 3900 && s->count == 2 && lt_hist_count(&s->hist) == 2,
	   "tgid 100: totals, counts and histogram add (%llu)",
	   s ? (unsigned long long)s->total : 0ULL);
	ok(s && s->frames[1] == find(&run, 200, "churn_nap")->frames[1],
	   "frames are the run's interned strings");
	ok(s && s->mod[2] && !strcmp(run.mods[s->mod[2] - 1].path, "/usr/bin/churn"),
	   "modules renumbered into the run's");
	ok(run.nmods == 2, "each module once (%zu)", run.nmods);
	ok(run.ur_events[LT_UR_COMPLETE] == 4 && run.ur_value[LT_UR_COMPLETE] == 56000,
	   "how user stacks ended: the drains' counts add");
	ok(run.stats[LT_STAT_EVENTS] == 4, "stats: the latest (largest) kept");

	removed = lt_profile__fold(&run, gone, NULL);
	ok(removed == 1, "fold: the two exited processes' rows become one (%ld removed)", removed);
	s = find(&run, 0, "churn_nap");
	ok(s && s->total == 6000 && s->count == 3 && s->pid == 0 && s->nthreads == 2,
	   "fold: one churn row, pid 0, all the time, 2 threads");
	ok(find(&run, 300, "poll") != NULL, "fold: a live process keeps its row");
	ok(run.folded_samples == 2 && run.folded_procs == 2,
	   "fold: counted (%llu rows, %llu procs)", (unsigned long long)run.folded_samples,
	   (unsigned long long)run.folded_procs);
	ok(lt_profile__fold(&run, gone, NULL) == 0, "fold again: nothing more");

	/* A later drain of another exited process merges into the folded row once folded. */
	lt_profile__init(&d1, "offcpu", "us", "off-CPU time");
	module(&d1, "/usr/bin/churn");
	add(&d1, 200, "churn", "churn_nap", 1000);
	ok(!lt_profile__absorb(&run, &d1) && run.n == 3,
	   "a new exited row stays apart until folded");
	lt_profile__free(&d1);
	lt_profile__fold(&run, gone, NULL);
	s = find(&run, 0, "churn_nap");
	ok(run.n == 2 && s && s->total == 7000 && s->nthreads == 3,
	   "folded into the same row: 3 threads (%u)", s ? s->nthreads : 0);
	/* Addresses outside every mapping of gone processes: one row, the pool shrinks. */
	lt_profile__init(&d1, "offcpu", "us", "off-CPU time");
	module(&d1, "/usr/bin/churn");
	add(&d1, 100, "churn", "[unmapped]+0x55b8893f0871", 10);
	add(&d1, 200, "churn", "[unmapped]+0x56147c9ae871", 20);
	ok(!lt_profile__absorb(&run, &d1) && run.n == 4, "unnamed rows of two processes apart");
	lt_profile__free(&d1);
	{
		size_t before = run.nstrs;

		lt_profile__fold(&run, gone, NULL);
		s = find(&run, 0, "[unmapped]");
		ok(run.n == 3 && s && s->total == 30 && s->nthreads == 2,
		   "folded: their addresses read [unmapped], one row (%zu rows)", run.n);
		ok(run.nstrs == before - 1, "the names no row holds are freed (%zu -> %zu)", before,
		   run.nstrs);
		ok(!strcmp(find(&run, 300, "poll")->frames[1], "main"),
		   "kept names still read right");
	}
	ok(!lt_profile__lines(&run, &l, &nl) && nl == 3, "lines");
	for (size_t i = 0; i < nl; i++)
		if (!strcmp(l[i].first->frames[2], "churn_nap"))
			ok(l[i].nthreads == 3 && l[i].total == 7000,
			   "the line counts the folded threads (%u)", l[i].nthreads);
	lt_stack_lines__free(l, nl);
	lt_profile__free(&run);
	return tap_done();
}
