/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The workload's own clock: the ground truth of the tests.
 *
 * Each blocking call a workload makes is timed with CLOCK_MONOTONIC and added
 * to an account named after the function a test looks for (blocker_sleep,
 * long_nap, ...). At exit the workload prints one line per account, and one
 * per call (the first WL_CALLS_KEPT of each account):
 *
 *     clock NAME TOTAL_US CALLS MAX_US
 *     call NAME US
 *
 * Tests compare latprof's figures with these, never with the nominal sleep
 * (20 x 50 ms = 1 s). On a busy machine a thread woken from a 50 ms sleep
 * may wait for a CPU before it runs again; that wait is off-CPU time, which
 * latprof rightly counts and this clock sees too, while the nominal figure
 * does not. The tests then hold whatever else runs on the machine.
 */
#ifndef LT_WLCLOCK_H
#define LT_WLCLOCK_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WL_CALLS_KEPT 1024

struct wl_account {
	const char *name;
	long long total_us, max_us;
	long calls;
	long long call_us[WL_CALLS_KEPT];
};

static struct wl_account wl_accounts[16];
static pthread_mutex_t wl_lock = PTHREAD_MUTEX_INITIALIZER;

static inline long long wl_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void wl_clock_print(void)
{
	pthread_mutex_lock(&wl_lock);
	for (int i = 0; i < 16 && wl_accounts[i].name; i++) {
		struct wl_account *a = &wl_accounts[i];

		printf("clock %s %lld %ld %lld\n", a->name, a->total_us, a->calls, a->max_us);
		for (long c = 0; c < a->calls && c < WL_CALLS_KEPT; c++)
			printf("call %s %lld\n", a->name, a->call_us[c]);
	}
	fflush(stdout);
	pthread_mutex_unlock(&wl_lock);
}

/* Adds the time since T0 (from wl_now_us) to account NAME. */
static inline void wl_clock_add(const char *name, long long t0)
{
	long long us = wl_now_us() - t0;
	static int registered;
	int i;

	pthread_mutex_lock(&wl_lock);
	if (!registered++)
		atexit(wl_clock_print);
	for (i = 0; i < 16 && wl_accounts[i].name && strcmp(wl_accounts[i].name, name); i++)
		;
	if (i < 16) {
		wl_accounts[i].name = name;
		wl_accounts[i].total_us += us;
		if (wl_accounts[i].calls < WL_CALLS_KEPT)
			wl_accounts[i].call_us[wl_accounts[i].calls] = us;
		wl_accounts[i].calls++;
		if (us > wl_accounts[i].max_us)
			wl_accounts[i].max_us = us;
	}
	pthread_mutex_unlock(&wl_lock);
}

/* WL_TIMED("name", call): time one blocking call into account "name". */
#define WL_TIMED(name, call)                    \
	do {                                    \
		long long wl_t0_ = wl_now_us(); \
		call;                           \
		wl_clock_add(name, wl_t0_);     \
	} while (0)

#endif
