// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Workload for latprof func: functions with known calls, which it counts and
 * times itself (wlclock.h). Prints its pid, waits for SIGUSR1 (so that a
 * tracer can attach first), runs MODE, prints its accounts and exits.
 *
 *   calls    slow_op() sleeps 20 ms, 50 times: 30 from caller_a(), 20 from
 *            caller_b() (accounts slow_op_a, slow_op_b)
 *   fib      fib_like(12), recursive; prints "fib DEPTH CALLS" for each depth
 *            (1: the outermost call)
 *   threads  4 threads each call thread_op() 25 times, 5 ms each
 *   lib PATH dlopen()s PATH (libltshared.so) and calls its lt_shared_nap(10)
 *            20 times
 *   jump     jump_op() sleeps 5 ms and longjmp()s out past its return, 10
 *            times; then slow_op() from caller_a() 5 times
 *   loop N   tiny_op() N times in a tight loop; prints "elapsed_ns NS" (the
 *            benchmark: what a traced call costs)
 *   usdt     30 requests, each between USDT probes ltwl:req__start(id, name)
 *            and ltwl:req__done(id) around a 10 ms sleep, the names alpha,
 *            beta, gamma in turn (accounts req_alpha, ...); ltwl:tick, guarded
 *            by its semaphore, fires once per request while a tracer holds it
 *            (prints "ticks N"); ltwl:mem(id, name) once per request, its
 *            arguments in memory; then, after a second SIGUSR1, prints the
 *            semaphore ("sema_after N")
 */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "wlclock.h"
/* USDT probes with is-enabled semaphores (systemtap-sdt-dev's sys/sdt.h). */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

unsigned short ltwl_req__start_semaphore __attribute__((unused, section(".probes")));
unsigned short ltwl_req__done_semaphore __attribute__((unused, section(".probes")));
unsigned short ltwl_tick_semaphore __attribute__((unused, section(".probes")));
unsigned short ltwl_mem_semaphore __attribute__((unused, section(".probes")));

#define noinline __attribute__((noinline, noclone))

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

noinline void slow_op(int ms)
{
	nap_ms(ms);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

/* Only ever inlined: a name in the DWARF with no code of its own to probe. */
static inline __attribute__((always_inline)) int inl_only(int ms)
{
	__asm__ volatile("" : "+r"(ms));
	return ms;
}

noinline void caller_a(void)
{
	WL_TIMED("slow_op_a", slow_op(inl_only(20)));
}

noinline void caller_b(void)
{
	WL_TIMED("slow_op_b", slow_op(20));
}

#define FIB_DEPTHS 32
static long fib_calls[FIB_DEPTHS];

noinline long fib_like(int n, int depth)
{
	long r;

	if (depth < FIB_DEPTHS)
		fib_calls[depth]++;
	r = n < 2 ? n : fib_like(n - 1, depth + 1) + fib_like(n - 2, depth + 1);
	__asm__ volatile("" : "+r"(r)::"memory");
	return r;
}

noinline void thread_op(void)
{
	nap_ms(5);
	__asm__ volatile("" ::: "memory");
}

static void *thread_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 25; i++)
		WL_TIMED("thread_op", thread_op());
	return NULL;
}

noinline void serve(int id, const char *name)
{
	STAP_PROBE2(ltwl, req__start, id, name);
	nap_ms(10);
	STAP_PROBE1(ltwl, req__done, id);
}

/*
 * Unoptimized, so that the probe's arguments are memory operands
 * ("-4@-20(%rbp) 8@-32(%rbp)"), not registers: libbpf must read them there.
 */
noinline __attribute__((optimize("O0"))) void note_mem(int id, const char *name)
{
	STAP_PROBE2(ltwl, mem, id, name);
}

noinline long tiny_op(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

static jmp_buf jump_env;

noinline void jump_op(void)
{
	nap_ms(5);
	longjmp(jump_env, 1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "calls";
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	if (!strcmp(mode, "calls")) {
		for (int i = 0; i < 50; i++)
			i % 5 < 3 ? caller_a() : caller_b();
	} else if (!strcmp(mode, "fib")) {
		printf("fib result %ld\n", fib_like(12, 1));
		for (int d = 1; d < FIB_DEPTHS && fib_calls[d]; d++)
			printf("fib %d %ld\n", d, fib_calls[d]);
	} else if (!strcmp(mode, "threads")) {
		pthread_t th[4];

		for (int i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, thread_main, NULL);
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
	} else if (!strcmp(mode, "lib") && argc > 2) {
		void *h = dlopen(argv[2], RTLD_NOW);
		int (*nap)(int) = h ? (int (*)(int))dlsym(h, "lt_shared_nap") : NULL;

		if (!nap) {
			fprintf(stderr, "cannot load lt_shared_nap from %s\n", argv[2]);
			return 1;
		}
		/* Let the tracer see the new mapping (it probes at start only). */
		printf("loaded\n");
		fflush(stdout);
		sigwait(&set, &sig);
		for (int i = 0; i < 20; i++)
			WL_TIMED("lt_shared_nap", nap(10));
	} else if (!strcmp(mode, "jump")) {
		for (volatile int i = 0; i < 10; i++)
			if (!setjmp(jump_env))
				jump_op();
		for (int i = 0; i < 5; i++)
			caller_a();
	} else if (!strcmp(mode, "usdt")) {
		static const char *const names[] = { "alpha", "beta", "gamma" };
		static const char *const acct[] = { "req_alpha", "req_beta", "req_gamma" };
		int ticks = 0;

		for (int i = 0; i < 30; i++) {
			WL_TIMED(acct[i % 3], serve(i, names[i % 3]));
			note_mem(i, names[i % 3]);
			if (ltwl_tick_semaphore) {
				STAP_PROBE(ltwl, tick);
				ticks++;
			}
		}
		printf("ticks %d\n", ticks);
		fflush(stdout);
		sigwait(&set, &sig);
		printf("sema_after %d\n", ltwl_tick_semaphore);
	} else if (!strcmp(mode, "loop") && argc > 2) {
		long n = atol(argv[2]), x = 0;
		long long t1;
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++)
			x = tiny_op(x);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t1 = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
		printf("loop %ld elapsed_ns %lld\n", x, t1);
	} else {
		fprintf(stderr, "unknown mode '%s'\n", mode);
		return 2;
	}
	return 0; /* the accounts print at exit */
}
