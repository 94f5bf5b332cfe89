/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The workload's own clock: the ground truth of the tests.
 *
 * Each blocking call a workload makes is timed with CLOCK_MONOTONIC and added
 * to an account named after the function a test looks for (blocker_sleep,
 * long_nap, ...). At exit the workload prints one line per account, and one
 * per call (the first WL_CALLS_KEPT of each account):
 *
 *     clock NAME TOTAL_US CALLS MAX_US PREEMPT_US
 *     call NAME US PREEMPT_US
 *
 * Tests compare latprof's figures with these, never with the nominal sleep
 * (20 x 50 ms = 1 s). On a busy machine a thread woken from a 50 ms sleep
 * may wait for a CPU before it runs again; that wait is off-CPU time, which
 * latprof rightly counts and this clock sees too, while the nominal figure
 * does not. The tests then hold whatever else runs on the machine.
 *
 * One part of a call's time is not off-CPU time as latprof counts it by
 * default: a thread preempted on its way into the sleep (or out of it)
 * waits for a CPU in state R, run-queue time (--include-preempt). A call
 * during which the thread was switched out involuntarily (getrusage's
 * ru_nivcsw moved) may hold up to the run-queue time the kernel charged the
 * thread meanwhile (/proc/thread-self/schedstat, run_delay): PREEMPT_US sums
 * it, and tests accept down to TOTAL_US - PREEMPT_US. PREEMPT_US also holds
 * the thread's CPU time during the call, which is on-CPU by definition: a few
 * us a call natively, but under an emulator (make kmatrix, TCG) a 1 ms nap
 * can spend a third of its length on the CPU.
 */
#ifndef LT_WLCLOCK_H
#define LT_WLCLOCK_H

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef RUSAGE_THREAD /* without _GNU_SOURCE */
#define RUSAGE_THREAD 1
#endif

#define WL_CALLS_KEPT 1024

struct wl_account {
	const char *name;
	long long total_us, max_us, preempt_us;
	long calls;
	long long call_us[WL_CALLS_KEPT], call_preempt_us[WL_CALLS_KEPT];
};

/* Where a timed call starts: the thread's involuntary switches, run-queue and CPU time. */
struct wl_mark {
	long long t_us, nivcsw, run_delay_us, cpu_us;
};

static inline long long wl_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

		printf("clock %s %lld %ld %lld %lld\n", a->name, a->total_us, a->calls, a->max_us,
		       a->preempt_us);
		for (long c = 0; c < a->calls && c < WL_CALLS_KEPT; c++)
			printf("call %s %lld %lld\n", a->name, a->call_us[c],
			       a->call_preempt_us[c]);
	}
	fflush(stdout);
	pthread_mutex_unlock(&wl_lock);
}

/* The thread's involuntary switches and run-queue time (async-signal-safe). */
static inline void wl_sched(long long *nivcsw, long long *run_delay_us)
{
	struct rusage ru;
	char buf[96];
	int fd = open("/proc/thread-self/schedstat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	unsigned long long cpu, delay = 0;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = 0;
		if (sscanf(buf, "%llu %llu", &cpu, &delay) != 2)
			delay = 0;
	}
	*run_delay_us = (long long)(delay / 1000);
	getrusage(RUSAGE_THREAD, &ru);
	*nivcsw = ru.ru_nivcsw;
}

static inline void wl_mark_start(struct wl_mark *m)
{
	wl_sched(&m->nivcsw, &m->run_delay_us);
	m->cpu_us = wl_cpu_us();
	m->t_us = wl_now_us(); /* last: the reads are outside the window */
}

/*
 * The call that began at M: its length in us, and in *preempt_us the part
 * of it that may not be off-CPU time: the run-queue time it may hold (0
 * unless the thread was preempted meanwhile), and the thread's own CPU time
 * in the call (tens of us natively; far more under an emulator).
 */
static inline long long wl_mark_end(const struct wl_mark *m, long long *preempt_us)
{
	long long us = wl_now_us() - m->t_us, cpu = wl_cpu_us() - m->cpu_us, nivcsw, delay;

	wl_sched(&nivcsw, &delay);
	*preempt_us = (nivcsw != m->nivcsw ? delay - m->run_delay_us : 0) + cpu;
	return us;
}

/* Adds the call that began at M to account NAME. */
static inline void wl_clock_add(const char *name, const struct wl_mark *m)
{
	long long preempt, us = wl_mark_end(m, &preempt);
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
		wl_accounts[i].preempt_us += preempt;
		if (wl_accounts[i].calls < WL_CALLS_KEPT) {
			wl_accounts[i].call_us[wl_accounts[i].calls] = us;
			wl_accounts[i].call_preempt_us[wl_accounts[i].calls] = preempt;
		}
		wl_accounts[i].calls++;
		if (us > wl_accounts[i].max_us)
			wl_accounts[i].max_us = us;
	}
	pthread_mutex_unlock(&wl_lock);
}

/* WL_TIMED("name", call): time one blocking call into account "name". */
#define WL_TIMED(name, call)                \
	do {                                \
		struct wl_mark wl_m_;       \
		wl_mark_start(&wl_m_);      \
		call;                       \
		wl_clock_add(name, &wl_m_); \
	} while (0)

#endif
