// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark workloads for `latprof io` and `latprof tcp`. Prints its pid,
 * waits for SIGUSR1 (so a tracer can attach first), runs, then prints
 * "elapsed_ns T".
 *   iobench io N FILE     N x 4 KiB O_DIRECT pwrite() to FILE (on a disk)
 *   iobench tcp N PORT    N loopback connect()+accept()+close() pairs
 *   iobench null N -      N getppid() calls: the cost a syscall tracer adds
 *                         to the calls it does not time
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int run_io(long n, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_DIRECT, 0644);
	void *buf;

	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		return 1;
	memset(buf, 'b', 4096);
	for (long i = 0; i < n; i++)
		if (pwrite(fd, buf, 4096, (i % 256) * 4096) != 4096)
			return 1;
	return close(fd) != 0;
}

static int run_tcp(long n, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 128))
		return 1;
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			return 1;
		s = accept(l, NULL, NULL);
		if (s < 0)
			return 1;
		/* The server closes first: TIME_WAIT stays on its side, and the
		 * client's ephemeral ports are not used up over many runs. */
		close(s);
		close(c);
	}
	return close(l) != 0;
}

static int run_null(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	sigset_t set;
	int sig, err;

	if (argc < 4)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = !strcmp(argv[1], "io")   ? run_io(atol(argv[2]), argv[3]) :
	      !strcmp(argv[1], "null") ? run_null(atol(argv[2])) :
					 run_tcp(atol(argv[2]), atoi(argv[3]));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("elapsed_ns %lld\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	return err;
}
