// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ground-truth workload for `latprof offcpu` tests. It prints its pid, waits
 * for SIGUSR1 (sent once latprof has attached), then does exactly what its
 * mode says through ordinary libc calls (nanosleep, read); only kswitch makes
 * raw system calls, so that two of them share one user stack. Each blocking
 * call is timed by the workload's own clock, printed at exit (wlclock.h):
 * the tests' ground truth.
 *
 *   sleeper  blocker_sleep(): 20 x 50 ms nanosleep(); spin_worker() spins
 *            on another thread meanwhile
 *   pipe     pipe_reader() blocks in read() on a pipe that pipe_feeder()
 *            writes every 100 ms, 10 times
 *   mixed    short_nap(): 50 x 1 ms; long_nap(): 5 x 100 ms
 *   exit     blocker_sleep() 10 x 50 ms, then the process exits
 *   many     100 distinct stacks: recurse(d) for d = 1..100, 1 ms nap at the
 *            bottom of each; prints "blocked N", the naps that did block
 *   preempt  nproc + 1 threads run spin_hard() for 1 s, so they preempt
 *            each other
 *   jit      a fake JIT: jit_compiled_fn, machine code in anonymous executable
 *            memory named in /tmp/perf-PID.map, calls jit_callback(), which
 *            sleeps 10 x 50 ms
 *   inlined  inlined_outer() sleeps 20 x 50 ms through two always_inline
 *            functions, inlined_middle() and inlined_inner(); the lines
 *            marked LT-LINE are where each call is (for --lines tests)
 *   twins    twin_a() and twin_b(), the same code, call twin_wait() at the
 *            same stack depth in the order AABBABBA five times: A 20 x 20 ms,
 *            B 20 x 30 ms (their stacks differ in one return address only)
 *   kswitch  the same user stack, ksys_wait(), blocks in two system calls in
 *            the order AABBABBA five times: nanosleep 20 x 20 ms, poll
 *            20 x 30 ms (the kernel stacks differ, the user stacks do not)
 *   signal   signal_spin() spins while a timer's SIGALRM interrupts it 10
 *            times; the handler on_alarm() sleeps 50 ms in alarm_nap().
 *            Then alt_raise() raises SIGUSR2 10 times, whose handler
 *            on_alt() runs on an alternate signal stack and sleeps 30 ms
 *            in alt_nap()
 *   badnames jit, with a JIT function name and a comm that try to break
 *            every output format (BAD_JIT_NAME, BAD_COMM)
 *   cut      two threads, from root_a() and root_b(), go 8 calls deep into
 *            the same cut_chain() and sleep there 10 x 30 ms each: with a
 *            depth limit below 8 their cut stacks read the same
 *   mutex    holder() takes a mutex, keeps it 50 ms (its nap_ms, woken by a
 *            timer) and unlocks it, 20 times; waiter() blocks on the mutex
 *            each time holder() has it (account waiter_lock), so holder()'s
 *            unlock is what wakes it
 *   wall     wall_worker(), a thread of its own, does 3 times: 300 ms of
 *            spinning (wall_spin), a 400 ms nanosleep (wall_sleep), 200 ms
 *            blocked on a mutex wall_holder() keeps (wall_lock), 100 ms in
 *            read() on a pipe wall_holder() then writes (wall_pipe). At its
 *            end it prints "wall TID LIFETIME_US CPU_US RUNQUEUE_US": its
 *            lifetime, and its CPU and run-queue time by the kernel's own
 *            account (/proc/thread-self/schedstat)
 *   wallhog  wall, with wall_worker() and a spinning thread pinned to CPU 0
 *   nowait M run mode M at once, without waiting for SIGUSR1
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "wlclock.h"

/* noclone: GCC would otherwise emit blocker_sleep.constprop.0 and the like */
#define noinline __attribute__((noinline, noclone))

static volatile int stop_spin;
static int pipefd[2];

/* WHO: the account of the workload's clock (wlclock.h) this nap is added to */
static noinline void nap_ms(const char *who, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	WL_TIMED(who, nanosleep(&ts, NULL));
}

static noinline void blocker_sleep(int n, long ms)
{
	for (int i = 0; i < n; i++) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		WL_TIMED("blocker_sleep", nanosleep(&ts, NULL));
	}
}

static noinline void twin_wait(const char *who, long ms)
{
	nap_ms(who, ms);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

/* Same frame, different code (a distinct store), so that GCC does not fold them. */
static volatile int twin_last;

static noinline void twin_a(long ms)
{
	twin_wait("twin_a", ms);
	twin_last = 'A';
}

static noinline void twin_b(long ms)
{
	twin_wait("twin_b", ms);
	twin_last = 'B';
}

/* cut: the same chain under two different roots. */
static noinline void cut_chain(int depth)
{
	if (depth > 1)
		cut_chain(depth - 1);
	else
		for (int i = 0; i < 10; i++)
			nap_ms("cut_chain", 30);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

static noinline void *root_a(void *arg)
{
	cut_chain(8);
	__asm__ volatile("" ::: "memory");
	return arg;
}

static noinline void *root_b(void *arg)
{
	cut_chain(8);
	__asm__ volatile("" ::: "memory");
	return (char *)arg + 1;
}

/* One call site for both system calls: the user stack cannot tell them apart. */
static noinline void ksys_wait(int poll, long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	long nr = poll ? SYS_poll : SYS_nanosleep;

	/* poll(NULL, 0, ms) or nanosleep(&ts, NULL), from the same call. */
	WL_TIMED(poll ? "ksys_poll" : "ksys_nanosleep",
		 syscall(nr, poll ? 0L : (long)&ts, 0L, poll ? ms : 0L));
	__asm__ volatile("" ::: "memory");
}

static const char pattern[] = "AABBABBA";

static noinline void short_nap(void)
{
	for (int i = 0; i < 50; i++)
		nap_ms("short_nap", 1);
}

static noinline void long_nap(void)
{
	for (int i = 0; i < 5; i++)
		nap_ms("long_nap", 100);
}

static noinline void *spin_worker(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	while (!stop_spin)
		x++;
	return NULL;
}

static noinline void pipe_reader(int n)
{
	char buf[16];

	for (int i = 0; i < n; i++) {
		ssize_t got;

		WL_TIMED("pipe_reader", got = read(pipefd[0], buf, 1));
		if (got != 1)
			break;
	}
}

static noinline void *pipe_feeder(void *arg)
{
	int n = *(int *)arg;

	for (int i = 0; i < n; i++) {
		nap_ms("pipe_feeder", 100);
		if (write(pipefd[1], "x", 1) != 1)
			break;
	}
	return NULL;
}

static pthread_mutex_t wake_mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile int held; /* rounds in which holder() has taken the mutex */
static volatile int unlocks; /* after the unlock: no tail call, holder() stays on the stack */

static noinline void holder(void)
{
	pthread_mutex_lock(&wake_mutex);
	held++;
	nap_ms("holder_nap", 50);
	pthread_mutex_unlock(&wake_mutex);
	unlocks++;
}

static noinline void *holder_loop(void *arg)
{
	for (int i = 0; i < 20; i++) {
		holder();
		nap_ms("holder_gap", 5);
	}
	return arg;
}

/* Round i: once holder() has the mutex, block on it until its unlock. */
static noinline void waiter(int i)
{
	while (held <= i)
		sched_yield();
	WL_TIMED("waiter_lock", pthread_mutex_lock(&wake_mutex));
	pthread_mutex_unlock(&wake_mutex);
}

/* wall: a thread whose every state is known, and a holder that blocks it. */
static pthread_mutex_t wall_mutex = PTHREAD_MUTEX_INITIALIZER;
static int wall_pipefd[2];
static volatile int wall_round = -1, wall_done, wall_hog_stop;

static void schedstat(unsigned long long *cpu, unsigned long long *delay)
{
	char buf[96];
	int fd = open("/proc/thread-self/schedstat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	*cpu = *delay = 0;
	if (n > 0) {
		buf[n] = 0;
		sscanf(buf, "%llu %llu", cpu, delay);
	}
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static noinline void wall_spin(long ms)
{
	long long end = wl_now_us() + ms * 1000;

	while (wl_now_us() < end)
		;
}

static noinline void wall_lock(void)
{
	WL_TIMED("wall_lock", pthread_mutex_lock(&wall_mutex));
	pthread_mutex_unlock(&wall_mutex);
}

static noinline void wall_pipe(void)
{
	char c;

	WL_TIMED("wall_pipe", (void)!read(wall_pipefd[0], &c, 1));
}

/* Round r: take the mutex before the worker wants it, keep it 200 ms; write 100 ms later. */
static noinline void *wall_holder(void *arg)
{
	for (int r = 0; r < 3; r++) {
		while (wall_round < r)
			usleep(1000);
		pthread_mutex_lock(&wall_mutex);
		wall_done = r + 1;
		nap_ms("wall_holder", 200);
		pthread_mutex_unlock(&wall_mutex);
		nap_ms("wall_holder", 100);
		if (write(wall_pipefd[1], "x", 1) != 1)
			break;
	}
	return arg;
}

static noinline void *wall_worker(void *arg)
{
	unsigned long long cpu0, rq0, cpu1, rq1;
	long long t0 = wl_now_us();

	if (arg)
		pin_cpu0();
	schedstat(&cpu0, &rq0);
	for (int r = 0; r < 3; r++) {
		wall_spin(300);
		nap_ms("wall_sleep", 400);
		wall_round = r; /* the holder takes the mutex, now idle */
		while (wall_done <= r)
			usleep(100);
		wall_lock();
		wall_pipe();
	}
	schedstat(&cpu1, &rq1);
	printf("wall %ld %lld %llu %llu\n", (long)syscall(SYS_gettid), wl_now_us() - t0,
	       (cpu1 - cpu0) / 1000, (rq1 - rq0) / 1000);
	fflush(stdout);
	return NULL;
}

static noinline void *wall_hog(void *arg)
{
	pin_cpu0();
	while (!wall_hog_stop)
		;
	return arg;
}

static int naps_blocked;

static long vol_switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

static noinline int recurse(int depth)
{
	volatile int pad = depth; /* read after the call: no tail call, no loop */

	if (depth <= 1) {
		/*
		 * A nap that never blocks (its timer expired while the vCPU
		 * was stolen, before it could sleep) is no off-CPU event:
		 * count those that did, by the kernel's own count.
		 */
		long before = vol_switches();

		nap_ms("recurse", 1);
		naps_blocked += vol_switches() > before;
		return pad;
	}
	return recurse(depth - 1) + pad;
}

static noinline void *spin_hard(void *arg)
{
	struct timespec t0, t;
	volatile unsigned long x = 0;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			x++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 1);
	return NULL;
}

static noinline void jit_callback(void)
{
	volatile int after = 0; /* no tail call: keep this frame */

	blocker_sleep(10, 50);
	after++;
}

/* x86-64: push rbp; mov rbp, rsp; movabs rax, fn; call rax; pop rbp; ret */
/*
 * A JIT function name that tries every trick on the outputs: the folded
 * separator, a control character, XML and JSON specials, a byte that is not
 * UTF-8, and a trailing number that could pass for a folded line's value.
 */
#define BAD_JIT_NAME "evil;frame\x01<&\"'>\xc3\x28 999"
/* A comm that tries the same: 15 bytes, a newline and an escape sequence among them. */
#define BAD_COMM "w;x\ny\x1b[31m\xff z"

static const char *jit_name = "jit_compiled_fn";

static noinline void *jit_compile(void)
{
	unsigned char code[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0xb8, 0,	   0,	 0,
				 0,    0,    0,	   0,	 0,    0xff, 0xd0, 0x5d, 0xc3 };
	uintptr_t fn = (uintptr_t)jit_callback;
	unsigned char *mem;
	char path[64];
	FILE *f;

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (mem == MAP_FAILED)
		return NULL;
	memcpy(code + 6, &fn, sizeof(fn));
	memcpy(mem + 64, code, sizeof(code));
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fprintf(f, "%lx %zx %s\n", (unsigned long)(mem + 64), sizeof(code), jit_name);
	fclose(f);
	return mem + 64;
}

static void *jit_code;

static noinline void run_jit(void *code)
{
	volatile int after = 0; /* no tail call: keep this frame */

	((void (*)(void))code)();
	after++;
}

static inline __attribute__((always_inline)) void inlined_inner(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	WL_TIMED("inlined_outer", nanosleep(&ts, NULL)); /* LT-LINE inner */
}

static inline __attribute__((always_inline)) void inlined_middle(long ms)
{
	inlined_inner(ms); /* LT-LINE middle */
	__asm__ volatile("" ::: "memory");
}

static noinline void inlined_outer(int n, long ms)
{
	for (int i = 0; i < n; i++) {
		inlined_middle(ms); /* LT-LINE outer */
		__asm__ volatile("" ::: "memory");
	}
}

static volatile int alarms, alts;

/* The barrier after each call keeps it from becoming a tail call. */
static noinline void alarm_nap(void)
{
	nap_ms("alarm_nap", 50);
	__asm__ volatile("" ::: "memory");
}

static noinline void on_alarm(int sig)
{
	(void)sig;
	alarm_nap();
	alarms++;
}

static noinline void alt_nap(void)
{
	nap_ms("alt_nap", 30);
	__asm__ volatile("" ::: "memory");
}

static noinline void on_alt(int sig)
{
	(void)sig;
	alt_nap();
	alts++;
}

/* Interrupted, on-CPU, by each SIGALRM: its frame is under the handler's. */
static noinline void signal_spin(void)
{
	struct itimerval it = { { 0, 60000 }, { 0, 60000 } };

	setitimer(ITIMER_REAL, &it, NULL);
	while (alarms < 10)
		__asm__ volatile("" ::: "memory");
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
}

static noinline void alt_raise(void)
{
	for (int i = 0; i < 10; i++)
		raise(SIGUSR2);
}

static noinline void run_signals(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);
	sigaltstack(&ss, NULL);
	sa.sa_handler = on_alt;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	signal_spin();
	alt_raise();
}

static void wait_for_go(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sleeper";
	pthread_t th;
	sigset_t set;
	int n = 10;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!strcmp(mode, "pipe") && pipe(pipefd))
		return 1;
	/* A JIT is warm before anyone attaches: compile before waiting. */
	if (!strcmp(mode, "badnames")) {
		jit_name = BAD_JIT_NAME;
		prctl(PR_SET_NAME, BAD_COMM);
	}
	if (!strcmp(mode, "jit") || !strcmp(mode, "badnames") ||
	    (argc > 2 && !strcmp(argv[2], "jit")))
		jit_code = jit_compile();
	printf("%d\n", getpid());
	fflush(stdout);
	if (!strcmp(mode, "nowait")) {
		mode = argc > 2 ? argv[2] : "sleeper";
		if (!strcmp(mode, "pipe") && pipe(pipefd))
			return 1;
	} else
		wait_for_go();

	if (!strcmp(mode, "sleeper")) {
		pthread_create(&th, NULL, spin_worker, NULL);
		blocker_sleep(20, 50);
		stop_spin = 1;
		pthread_join(th, NULL);
	} else if (!strcmp(mode, "pipe")) {
		pthread_create(&th, NULL, pipe_feeder, &n);
		pipe_reader(n);
		pthread_join(th, NULL);
	} else if (!strcmp(mode, "mutex")) {
		pthread_create(&th, NULL, holder_loop, NULL);
		for (int i = 0; i < 20; i++)
			waiter(i);
		pthread_join(th, NULL);
	} else if (!strcmp(mode, "wall") || !strcmp(mode, "wallhog")) {
		bool hog = !strcmp(mode, "wallhog");
		pthread_t th2, th3;

		if (pipe(wall_pipefd))
			return 1;
		pthread_create(&th2, NULL, wall_holder, NULL);
		if (hog)
			pthread_create(&th3, NULL, wall_hog, NULL);
		pthread_create(&th, NULL, wall_worker, hog ? &n : NULL);
		pthread_join(th, NULL);
		wall_hog_stop = 1;
		if (hog)
			pthread_join(th3, NULL);
		pthread_join(th2, NULL);
	} else if (!strcmp(mode, "cut")) {
		pthread_t tb;

		pthread_create(&th, NULL, root_a, NULL);
		pthread_create(&tb, NULL, root_b, NULL);
		pthread_join(th, NULL);
		pthread_join(tb, NULL);
	} else if (!strcmp(mode, "mixed")) {
		short_nap();
		long_nap();
	} else if (!strcmp(mode, "exit")) {
		blocker_sleep(10, 50);
	} else if (!strcmp(mode, "jit") || !strcmp(mode, "badnames")) {
		if (!jit_code)
			return 1;
		run_jit(jit_code);
	} else if (!strcmp(mode, "inlined")) {
		inlined_outer(20, 50); /* LT-LINE main */
	} else if (!strcmp(mode, "twins")) {
		for (int i = 0; i < 40; i++) {
			if (pattern[i % 8] == 'A')
				twin_a(20);
			else
				twin_b(30);
		}
	} else if (!strcmp(mode, "kswitch")) {
		for (int i = 0; i < 40; i++)
			ksys_wait(pattern[i % 8] == 'B', pattern[i % 8] == 'A' ? 20 : 30);
	} else if (!strcmp(mode, "many")) {
		for (int d = 1; d <= 100; d++)
			recurse(d);
		printf("blocked %d\n", naps_blocked);
	} else if (!strcmp(mode, "signal")) {
		run_signals();
	} else if (!strcmp(mode, "preempt")) {
		long nth = sysconf(_SC_NPROCESSORS_ONLN) + 1;
		pthread_t t[64];

		for (long i = 0; i < nth && i < 64; i++)
			pthread_create(&t[i], NULL, spin_hard, NULL);
		for (long i = 0; i < nth && i < 64; i++)
			pthread_join(t[i], NULL);
	} else {
		fprintf(stderr, "unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}
