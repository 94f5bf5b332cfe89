// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The log-linear histogram: slot boundaries, and percentile estimates over
 * synthetic distributions against the exact nearest-rank percentiles of the
 * same values, within the stated 6.25%.
 */
#include <math.h>
#include <stdlib.h>
#include "hist.h"
#include "tap.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A deterministic generator, so a failure reproduces. */
static uint64_t rng = 88172645463325252ULL;
static double unit_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

#define N 100000

static void check_dist(const char *name, uint64_t *v)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
	struct lt_hist h = { 0 };
	double worst = 0;

	for (int i = 0; i < N; i++)
		lt_hist_add(&h, v[i], 1);
	qsort(v, N, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t exact = v[(size_t)ceil(qs[i] * N) - 1];
		double est = lt_hist_quantile(&h, qs[i]);
		double err = exact ? fabs(est - (double)exact) / (double)exact : est;

		if (err > worst)
			worst = err;
	}
	ok(worst <= 0.0625, "%s: p50/p90/p99/p99.9/max within 6.25%% (worst %.2f%%)", name,
	   100 * worst);
	lt_hist_free(&h);
}

int main(void)
{
	static uint64_t v[N];
	struct lt_hist h = { 0 }, a = { 0 }, b = { 0 }, c;
	int bad = 0;

	ok(lt_hist_slot(0) == 0 && lt_hist_slot(7) == 7, "values 0..7 have a slot each");
	ok(lt_hist_slot(8) == 8 && lt_hist_slot(15) == 15 && lt_hist_slot(16) == 16 &&
		   lt_hist_slot(17) == 16 && lt_hist_slot(18) == 17,
	   "8..15 one each, then two values per slot from 16");
	ok(lt_hist_slot(~0ULL) == LT_HIST_SLOTS - 1, "huge values clamp to the last slot");
	for (unsigned int i = 0; i + 1 < LT_HIST_SLOTS; i++)
		if (lt_hist_slot(lt_hist_slot_lo(i)) != i ||
		    lt_hist_slot(lt_hist_slot_hi(i) - 1) != i ||
		    lt_hist_slot_hi(i) != lt_hist_slot_lo(i + 1) ||
		    (i >= 8 && (double)(lt_hist_slot_hi(i) - lt_hist_slot_lo(i)) >
				       0.125 * (double)lt_hist_slot_lo(i)))
			bad++;
	ok(!bad, "slots tile the range, each at most 12.5%% of its low bound wide (%d bad)", bad);
	ok(lt_hist_quantile(&h, 0.5) == 0, "empty histogram: quantile 0");

	for (int i = 0; i < N; i++)
		v[i] = 1 + (uint64_t)(unit_rand() * 1e6);
	check_dist("uniform 1..1e6", v);
	for (int i = 0; i < N; i++)
		v[i] = (uint64_t)(-log(1 - unit_rand()) * 5000) + 1;
	check_dist("exponential, mean 5000", v);
	for (int i = 0; i < N; i++) {
		double z = sqrt(-2 * log(1 - unit_rand())) * cos(2 * M_PI * unit_rand());

		v[i] = (uint64_t)exp(8 + 1.5 * z) + 1;
	}
	check_dist("log-normal, mu 8 sigma 1.5", v);
	for (int i = 0; i < N; i++)
		v[i] = unit_rand() < 0.98 ? 900 + (uint64_t)(unit_rand() * 200) :
					    90000 + (uint64_t)(unit_rand() * 20000);
	check_dist("bimodal 1 ms / 100 ms, 2% slow", v);
	for (int i = 0; i < N; i++)
		v[i] = (uint64_t)(unit_rand() * 8);
	check_dist("small values 0..7 (exact)", v);

	lt_hist_add(&a, 5, 3);
	lt_hist_add(&b, 5, 4);
	lt_hist_add(&b, 500, 1);
	lt_hist_merge(&a, &b);
	ok(lt_hist_count(&a) == 8 && a.n == 2 && a.b[0].count == 7, "merge adds buckets");
	ok(!lt_hist_copy(&c, &a) && c.n == 2 && c.b != a.b && lt_hist_count(&c) == 8,
	   "copy is deep");
	lt_hist_free(&a);
	lt_hist_free(&b);
	lt_hist_free(&c);

	/* One event of 2.5 MiB: its bucket's midpoint, 2.62 MiB, is above its total. */
	lt_hist_add(&a, 2621440, 1);
	ok(lt_hist_quantile(&a, 0.5) > 2621440, "one event: the midpoint estimate is above it");
	ok(lt_hist_quantile_sum(&a, 0.5, 2621440) == 2621440 &&
		   lt_hist_quantile_sum(&a, 1.0, 2621440) == 2621440,
	   "one event: p50 and max clamped to its value, the row's total");
	/* + 1000 + 1000 + 1: no value exceeds the sum less 3 others of at least 1. */
	lt_hist_add(&a, 1000, 2);
	lt_hist_add(&a, 1, 1);
	ok(lt_hist_quantile_sum(&a, 1.0, 2621440 + 2001) == 2621440 + 2001 - 3,
	   "max clamped to the sum less the others at their least");
	ok(lt_hist_quantile_sum(&a, 0.5, 12345678901ULL) == lt_hist_quantile(&a, 0.5),
	   "a sum the buckets cannot hold: the estimate unchanged");
	lt_hist_free(&a);
	return tap_done();
}
