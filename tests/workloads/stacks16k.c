// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark workload: 16384 distinct user stacks. Each of 14 levels calls
 * either left() or right(), following the bits of i, and the leaf sleeps
 * 1 us; so every i in 0..16383 blocks on its own stack once. Prints its pid
 * and starts on SIGUSR1.
 */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define noinline __attribute__((noinline, noclone))
#define LEVELS 14

static noinline int step(unsigned int bits, int level);

static noinline int left(unsigned int bits, int level)
{
	volatile int pad = level;

	return step(bits, level + 1) + pad;
}

/* Not identical to left(), so the compiler cannot fold the two (-fipa-icf). */
static noinline int right(unsigned int bits, int level)
{
	volatile int pad = level * 3;

	return step(bits, level + 1) - pad;
}

static noinline int step(unsigned int bits, int level)
{
	if (level == LEVELS) {
		struct timespec ts = { 0, 1000 };

		nanosleep(&ts, NULL);
		return 0;
	}
	{
		volatile int r = (bits >> level) & 1 ? right(bits, level) : left(bits, level);

		return r; /* not a tail call: step() stays on the stack */
	}
}

int main(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	for (unsigned int i = 0; i < (1U << LEVELS); i++)
		step(i, 0);
	return 0;
}
