// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ground-truth workload for `latprof alloc`. Prints its pid, then runs
 * rounds until killed (so latprof attaches to it while it runs steadily);
 * each round starts when it reads a line on stdin ("go"), and prints "done"
 * after it. One round:
 *
 *   alloc_hot()    1000 malloc(4096), each freed
 *   alloc_small()  10000 malloc(32), each freed
 *   alloc_leak()   100 malloc(1024), never freed
 *
 * Built twice: with glibc's malloc, and linked with jemalloc (allocwl-je).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define noinline __attribute__((noinline, noclone))

static void *volatile sink;

static noinline void alloc_hot(void)
{
	for (int i = 0; i < 1000; i++) {
		char *p = malloc(4096);

		sink = p;
		free(p);
	}
}

static noinline void alloc_small(void)
{
	for (int i = 0; i < 10000; i++) {
		char *p = malloc(32);

		sink = p;
		free(p);
	}
}

static noinline void alloc_leak(void)
{
	for (int i = 0; i < 100; i++)
		sink = malloc(1024);
}

int main(void)
{
	char line[64];

	printf("%d\n", getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		alloc_hot();
		alloc_small();
		alloc_leak();
		printf("done\n");
		fflush(stdout);
	}
	return 0;
}
