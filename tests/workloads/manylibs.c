// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ground truth for user stacks through many libraries without frame
 * pointers. The program is linked against 64 libraries
 * (manylibs.d/libltchainNN.so, from chainlib.c.in, -O2 -fomit-frame-pointer):
 * chain00() -> chain01() -> ... -> chain63() -> block_KIND(), each call
 * crossing into the next library. It prints its pid, waits for SIGUSR1, then:
 *
 *   worker R MS  a thread named "chainworker" goes down the chain R times for
 *                each kind, in order, each block lasting MS ms: block_sem()
 *                (sem_wait, posted by a helper MS ms later), block_mutex()
 *                (pthread_mutex_lock, held by the helper for MS ms),
 *                block_read() (read on a pipe written MS ms later),
 *                block_nap() (nanosleep of MS ms). Between blocks the worker
 *                only spins, so its whole off-CPU time is 4 x R x MS ms,
 *                under the chain. Each walk down the chain is timed by the
 *                workload's own clock (wlclock.h), printed at exit.
 *   fork N MS    a server: N times, forks a child (comm "chainchild") that
 *                goes down the chain and blocks in block_read() on a pipe
 *                the parent writes MS ms later; waits for it; next. Each
 *                child prints "call chainchild US PREEMPT_US", its own
 *                measure of its walk down the chain (wlclock.h).
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wlclock.h"

#define noinline __attribute__((noinline, noclone))

enum { K_SEM, K_MUTEX, K_READ, K_NAP };

sem_t lt_chain_sem;
pthread_mutex_t lt_chain_mutex = PTHREAD_MUTEX_INITIALIZER;
int lt_chain_fd;
long lt_chain_ms;

int chain00(int kind, int x);

static int rounds;
static int pipefd[2];
static atomic_int locked, progress; /* progress: chain walks completed, in all */

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void spin_until(atomic_int *v, int want)
{
	while (atomic_load(v) < want)
		;
}

/* The helper waits by napping: spinning, it would keep the worker it woke from its CPU. */
static void nap_until(atomic_int *v, int want)
{
	while (atomic_load(v) < want)
		nap(1);
}

static noinline void *chain_worker(void *arg)
{
	static const char *const account[] = { "block_sem", "block_mutex", "block_read",
					       "block_nap" };

	(void)arg;
	prctl(PR_SET_NAME, "chainworker");
	for (int k = K_SEM; k <= K_NAP; k++) {
		for (int i = 0; i < rounds; i++) {
			if (k == K_MUTEX)
				spin_until(&locked, i + 1);
			WL_TIMED(account[k], chain00(k, 0));
			atomic_fetch_add(&progress, 1);
		}
	}
	return NULL;
}

/* Paces the worker: it never blocks on anything the helper does not time. */
static noinline void helper(void)
{
	char c = 'x';

	for (int i = 0; i < rounds; i++) {
		nap(lt_chain_ms);
		sem_post(&lt_chain_sem);
	}
	nap_until(&progress, rounds);
	for (int i = 0; i < rounds; i++) {
		pthread_mutex_lock(&lt_chain_mutex);
		atomic_store(&locked, i + 1);
		nap(lt_chain_ms);
		pthread_mutex_unlock(&lt_chain_mutex);
		nap_until(&progress, rounds + i + 1);
	}
	for (int i = 0; i < rounds; i++) {
		nap(lt_chain_ms);
		if (write(pipefd[1], &c, 1) != 1)
			exit(1);
	}
}

static noinline void serve(int n)
{
	for (int i = 0; i < n; i++) {
		int fds[2];
		pid_t p;

		if (pipe(fds))
			exit(1);
		p = fork();
		if (p < 0)
			exit(1);
		if (!p) {
			struct wl_mark m;
			char line[96];
			long long us, preempt;
			int len;

			prctl(PR_SET_NAME, "chainchild");
			close(fds[1]);
			lt_chain_fd = fds[0];
			wl_mark_start(&m);
			chain00(K_READ, 0);
			us = wl_mark_end(&m, &preempt);
			/* Its own line, at once: the child leaves by _exit(). */
			len = snprintf(line, sizeof(line), "call chainchild %lld %lld\n", us,
				       preempt);
			if (write(1, line, (size_t)len) != len)
				_exit(1);
			_exit(0);
		}
		close(fds[0]);
		nap(lt_chain_ms);
		if (write(fds[1], "x", 1) != 1)
			exit(1);
		close(fds[1]);
		waitpid(p, NULL, 0);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	sigset_t set;
	int sig;

	if (argc < 4) {
		fprintf(stderr, "usage: manylibs worker ROUNDS MS | fork N MS\n");
		return 2;
	}
	rounds = atoi(argv[2]);
	lt_chain_ms = atol(argv[3]);
	sem_init(&lt_chain_sem, 0, 0);
	if (pipe(pipefd))
		return 1;
	lt_chain_fd = pipefd[0];
	signal(SIGUSR1, on_usr1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	if (!strcmp(argv[1], "worker")) {
		pthread_t t;

		pthread_create(&t, NULL, chain_worker, NULL);
		helper();
		pthread_join(t, NULL);
	} else if (!strcmp(argv[1], "fork")) {
		serve(rounds);
	} else {
		return 2;
	}
	return 0;
}
