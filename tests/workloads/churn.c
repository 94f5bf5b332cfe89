// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Short-lived processes, the load of a build host or a CGI server: churn
 * N prints its pid, waits for SIGUSR1, then N times forks a child that
 * execs this program again as "churn nap", which sleeps once, 2 ms, in
 * churn_nap() and exits; the driver waits for each. Each child lives a few
 * milliseconds, all of them after latprof attached. The driver names
 * itself "churndriver" so that --comm churn selects only the children.
 * "churn threads N" starts N threads one after the other, each napping once.
 * "churn run SECS [WORKERS]" is the ground truth of a long churn: WORKERS
 * (2) loops fork and exec "churn nap FD" for SECS seconds; each child times
 * its own nap by wlclock.h's rules and writes its us and preempt us to the
 * pipe FD. At the end the driver prints
 * "children N nap_us T preempt_us P rate R/s".
 * Built twice: with frame pointers (churn) and, as distributions build
 * their programs, without (churn-nofp).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "wlclock.h"

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

/* The path of this program, to exec it again. */
static int self_path(char *buf, size_t sz)
{
	ssize_t len = readlink("/proc/self/exe", buf, sz - 1);

	if (len <= 0)
		return -1;
	buf[len] = 0;
	return 0;
}

/* churn run SECS [WORKERS]: see the top of the file. */
static int churn_run(int argc, char **argv)
{
	long long secs_us = (long long)(atof(argv[2]) * 1e6), t0 = wl_now_us(), r[2];
	long long children = 0, us = 0, preempt = 0;
	int workers = argc > 3 ? atoi(argv[3]) : 2, fds[2];
	char self[4096], fdarg[16];

	if (self_path(self, sizeof(self)) || workers < 1 || workers > 64 || pipe(fds))
		return 1;
	prctl(PR_SET_NAME, "churndriver");
	snprintf(fdarg, sizeof(fdarg), "%d", fds[1]);
	for (int w = 0; w < workers; w++) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (p)
			continue;
		/* A worker: children one after the other until the time is up. */
		close(fds[0]);
		while (wl_now_us() - t0 < secs_us) {
			pid_t c = fork();

			if (c < 0)
				_exit(1);
			if (!c) {
				execl(self, "churn", "nap", fdarg, (char *)NULL);
				_exit(127);
			}
			waitpid(c, NULL, 0);
		}
		_exit(0);
	}
	close(fds[1]);
	/* Until every worker and child has closed the pipe. */
	while (read(fds[0], r, sizeof(r)) == sizeof(r)) {
		children++;
		us += r[0];
		preempt += r[1];
	}
	while (wait(NULL) > 0)
		;
	printf("children %lld nap_us %lld preempt_us %lld rate %.0f/s\n", children, us, preempt,
	       children / ((wl_now_us() - t0) / 1e6));
	return 0;
}

int main(int argc, char **argv)
{
	char self[4096];
	sigset_t set;
	int sig, n;

	if (argc > 1 && !strcmp(argv[1], "nap")) {
		long long r[2];
		struct wl_mark m;

		wl_mark_start(&m);
		churn_nap();
		r[0] = wl_mark_end(&m, &r[1]);
		/* One write of 16 bytes to a pipe is atomic. */
		if (argc > 2 && write(atoi(argv[2]), r, sizeof(r)) != sizeof(r))
			return 1;
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "run"))
		return churn_run(argc, argv);
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
	if (self_path(self, sizeof(self)))
		return 1;
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
