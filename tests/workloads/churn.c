// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Short-lived processes, the load of a build host or a CGI server: churn
 * N prints its pid, waits for SIGUSR1, then N times forks a child that
 * execs this program again as "churn nap", which sleeps once, 2 ms, in
 * churn_nap() and exits; the driver waits for each. Each child lives a few
 * milliseconds, all of them after latprof attached. The driver names
 * itself "churndriver" so that --comm churn selects only the children.
 * "churn threads N" starts N threads one after the other, each napping once.
 * Built twice: with frame pointers (churn) and, as distributions build
 * their programs, without (churn-nofp).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define noinline __attribute__((noinline, noclone))

static noinline void churn_nap(void)
{
	struct timespec ts = { 0, 2000000 };

	nanosleep(&ts, NULL);
	__asm__ volatile("" ::: "memory"); /* not a tail call: its frame stays */
}

static noinline void *thread_nap(void *arg)
{
	(void)arg;
	churn_nap();
	return NULL;
}

int main(int argc, char **argv)
{
	char self[4096];
	sigset_t set;
	int sig, n;
	ssize_t len;

	if (argc > 1 && !strcmp(argv[1], "nap")) {
		churn_nap();
		return 0;
	}
	/* threads N: N threads one after the other, each naps once and ends. */
	if (argc > 2 && !strcmp(argv[1], "threads")) {
		for (int i = 0; i < atoi(argv[2]); i++) {
			pthread_t t;

			if (pthread_create(&t, NULL, thread_nap, NULL))
				return 1;
			pthread_join(t, NULL);
		}
		return 0;
	}
	n = argc > 1 ? atoi(argv[1]) : 200;
	/* By its own name (exec'd as /proc/self/exe, its comm would be "exe"). */
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return 1;
	self[len] = 0;
	prctl(PR_SET_NAME, "churndriver");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (!p) {
			execl(self, "churn", "nap", (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	return 0;
}
