// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark workload for `latprof alloc`: N x (malloc(64), free) in a loop.
 * Prints its pid, waits for SIGUSR1 (so a tracer can attach first), then
 * prints "elapsed_ns T" for the loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;

static __attribute__((noinline)) void churn(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(64);

		sink = p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec a, b;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	clock_gettime(CLOCK_MONOTONIC, &a);
	churn(n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed_ns %lld\n",
	       (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
