// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ground-truth workload for `latprof alloc`. Prints its pid (and a line
 * "malloc ADDRESS": where libc's malloc is mapped), then runs
 * rounds until killed (so latprof attaches to it while it runs steadily);
 * each round starts when it reads a line on stdin ("go"), and prints "done"
 * after it. One round:
 *
 *   alloc_hot()    1000 malloc(4096), each freed
 *   alloc_small()  10000 malloc(32), each freed
 *   alloc_leak()   100 malloc(1024), never freed
 *
 * A line "faults" runs fault_pages() instead: it maps 400 new anonymous pages
 * (no huge pages) and touches each once, so 400 user page faults; "pipes"
 * runs make_pipes(): 100 pipe()s, closed at once (kernel allocations); "big"
 * runs alloc_big(): one malloc(64 MiB), which glibc serves with mmap, freed;
 * "keep" runs keep_pipes(): 50 pipe()s left open (kernel memory held);
 * "thread" runs alloc_hot() in a new thread, thread_round().
 *
 * "hold N" makes N malloc(16), never freed (hold()).
 *
 * "steady SECONDS [thread]" allocates at a steady rate for SECONDS, from
 * three sites whose bytes are 60/30/10% of the total and whose calls are
 * 3/1/2 of every 6: steady_a() 3 x malloc(200), steady_b() 1 x malloc(300),
 * steady_c() 2 x malloc(50), each freed at once. With "thread", in a new
 * thread. It prints "done A B C" with the calls each site made.
 *
 * Built twice: with glibc's malloc, and linked with jemalloc (allocwl-je).
 */
#include <pthread.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static noinline void fault_pages(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 400 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	madvise(p, 400 * pg, MADV_NOHUGEPAGE);
	for (int i = 0; i < 400; i++)
		((volatile char *)p)[i * pg] = 1;
	munmap(p, 400 * pg);
}

static noinline void alloc_big(void)
{
	char *p = malloc(64 << 20);

	if (p)
		p[0] = 1;
	sink = p;
	free(p);
}

static noinline void *thread_round(void *arg)
{
	(void)arg;
	alloc_hot();
	return NULL;
}

static unsigned long steady_n[3];

static noinline void steady_a(void)
{
	for (int i = 0; i < 3; i++) {
		sink = malloc(200);
		free(sink);
	}
	steady_n[0] += 3;
}

static noinline void steady_b(void)
{
	sink = malloc(300);
	free(sink);
	steady_n[1] += 1;
}

static noinline void steady_c(void)
{
	for (int i = 0; i < 2; i++) {
		sink = malloc(50);
		free(sink);
	}
	steady_n[2] += 2;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static noinline void *steady(void *arg)
{
	double end = now_s() + *(double *)arg;

	/* Interleaved finely, so any slice of time holds the three in proportion. */
	while (now_s() < end)
		for (int i = 0; i < 10; i++) {
			steady_a();
			steady_b();
			steady_c();
		}
	return NULL;
}

/* N x malloc(16), never freed: a large live set for --leaks to read. */
static noinline void hold(long n)
{
	for (long i = 0; i < n; i++)
		sink = malloc(16);
}

static noinline void keep_pipes(void)
{
	for (int i = 0; i < 50; i++) {
		int fd[2];

		if (pipe(fd))
			return;
	}
}

static noinline void make_pipes(void)
{
	for (int i = 0; i < 100; i++) {
		int fd[2];

		if (pipe(fd))
			return;
		close(fd[0]);
		close(fd[1]);
	}
}

int main(void)
{
	char line[64];

	printf("%d\n", getpid());
	/* Where malloc is (through the GOT: libc's own), for tests that read its first byte. */
	printf("malloc %p\n", (void *)malloc);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "faults", 6)) {
			fault_pages();
		} else if (!strncmp(line, "pipes", 5)) {
			make_pipes();
		} else if (!strncmp(line, "thread", 6)) {
			pthread_t th;

			pthread_create(&th, NULL, thread_round, NULL);
			pthread_join(th, NULL);
		} else if (!strncmp(line, "keep", 4)) {
			keep_pipes();
		} else if (!strncmp(line, "steady", 6)) {
			double secs = atof(line + 6);

			if (strstr(line, "thread")) {
				pthread_t th;

				pthread_create(&th, NULL, steady, &secs);
				pthread_join(th, NULL);
			} else {
				steady(&secs);
			}
			printf("done %lu %lu %lu\n", steady_n[0], steady_n[1], steady_n[2]);
			fflush(stdout);
			continue;
		} else if (!strncmp(line, "hold", 4)) {
			hold(atol(line + 4));
		} else if (!strncmp(line, "big", 3)) {
			alloc_big();
		} else {
			alloc_hot();
			alloc_small();
			alloc_leak();
		}
		printf("done\n");
		fflush(stdout);
	}
	return 0;
}
