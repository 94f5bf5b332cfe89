// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Histogram slots and percentile estimates against known distributions. */
#include <math.h>
#include <stdlib.h>
#include "hist.h"
#include "tap.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	struct lt_hist h = {};
	uint64_t vals[10000];

	ok(lt_hist_slot(0) == 0, "0 goes to slot 0");
	ok(lt_hist_slot(1) == 1, "1 goes to slot 1 [1,2)");
	ok(lt_hist_slot(2) == 2 && lt_hist_slot(3) == 2, "2 and 3 go to slot 2 [2,4)");
	ok(lt_hist_slot(1023) == 10 && lt_hist_slot(1024) == 11, "1023 | 1024 split slots");
	ok(lt_hist_slot(~0ULL) == LT_HIST_SLOTS - 1, "huge values clamp to the last slot");
	for (unsigned int i = 1; i < 40; i++)
		if (lt_hist_slot(lt_hist_slot_lo(i)) != i ||
		    lt_hist_slot(lt_hist_slot_hi(i) - 1) != i)
			ok(0, "slot %u bounds round-trip", i);
	ok(1, "slot bounds round-trip for slots 1..39");

	ok(lt_hist_quantile(&h, 0.5) == 0, "empty histogram: quantile 0");

	/* Constant 50000: every estimate must fall inside its bucket [32768, 65536). */
	lt_hist_add(&h, 50000, 20);
	ok(lt_hist_count(&h) == 20, "count 20");
	ok(lt_hist_quantile(&h, 0.5) >= 32768 && lt_hist_quantile(&h, 0.5) < 65536,
	   "p50 of constant 50000 inside its bucket (%.0f)", lt_hist_quantile(&h, 0.5));

	/* Uniform 1..10000: estimates within a factor of 2 of the exact values. */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 10000; i++) {
		vals[i] = 1 + (uint64_t)(rand() % 10000);
		lt_hist_add(&h, vals[i], 1);
	}
	qsort(vals, 10000, sizeof(vals[0]), cmp_u64);
	{
		const double qs[] = { 0.5, 0.9, 0.99 };

		for (int i = 0; i < 3; i++) {
			double exact = (double)vals[(int)ceil(qs[i] * 10000) - 1];
			double est = lt_hist_quantile(&h, qs[i]);

			ok(est >= exact / 2 && est <= exact * 2,
			   "p%g estimate %.0f within 2x of %.0f", qs[i] * 100, est, exact);
		}
	}
	ok(lt_hist_quantile(&h, 0.5) <= lt_hist_quantile(&h, 0.9) &&
		   lt_hist_quantile(&h, 0.9) <= lt_hist_quantile(&h, 0.99),
	   "quantiles are monotonic");
	{
		struct lt_hist a = {}, b = {};

		lt_hist_add(&a, 5, 3);
		lt_hist_add(&b, 5, 4);
		lt_hist_add(&b, 500, 1);
		lt_hist_merge(&a, &b);
		ok(lt_hist_count(&a) == 8 && a.slots[lt_hist_slot(5)] == 7, "merge adds slots");
	}
	return tap_done();
}
