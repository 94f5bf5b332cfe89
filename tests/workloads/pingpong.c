// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark workload: two threads bounce a byte over two pipes N times, a
 * context switch per hop, like `perf bench sched pipe`. Prints its pid; with
 * "wait" it starts on SIGUSR1 (so a tracer can attach to it by pid first).
 * Prints "elapsed_ns N" when done.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define noinline __attribute__((noinline, noclone))

static int ab[2], ba[2];
static long loops;

static noinline void *ponger(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < loops; i++)
		if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
			break;
	return NULL;
}

static noinline void pinger(void)
{
	char c = 'x';

	for (long i = 0; i < loops; i++)
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			break;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t th;
	sigset_t set;
	int sig;

	loops = argc > 1 ? atol(argv[1]) : 100000;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pipe(ab) || pipe(ba))
		return 1;
	printf("%d\n", getpid());
	fflush(stdout);
	if (argc > 2 && !strcmp(argv[2], "wait"))
		sigwait(&set, &sig);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, ponger, NULL);
	pinger();
	pthread_join(th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("elapsed_ns %lld\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
