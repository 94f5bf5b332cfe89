// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The bundled demo workload for `make demo`: a toy service whose threads wait
 * in the ways real services do.
 *   handle_request()  4 workers contend for one mutex held 2 ms at a time
 *   flush_log()       appends 4 KiB and fdatasync()s, every 20 ms
 *   poll_backend()    poll()s a socket-like pipe with a 10 ms timeout
 *   wait_for_request() reads requests from a pipe that accept_loop() feeds
 * Runs for argv[1] seconds (default 30), printing its pid first.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define noinline __attribute__((noinline, noclone))

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int running = 1;
static int reqpipe[2], idlepipe[2];

static noinline void busy_ms(int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static noinline void handle_request(void)
{
	struct timespec held = { 0, 2000000 };

	pthread_mutex_lock(&big_lock);
	nanosleep(&held, NULL); /* I/O while holding the lock: the classic mistake */
	pthread_mutex_unlock(&big_lock);
	busy_ms(1);
}

static noinline void *worker(void *arg)
{
	(void)arg;
	while (running)
		handle_request();
	return NULL;
}

static noinline void flush_log(int fd)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != sizeof(buf))
		return;
	fdatasync(fd);
}

static noinline void *logger(void *arg)
{
	char path[] = "/tmp/latprof-demo-log.XXXXXX";
	int fd = mkstemp(path);
	struct timespec pause = { 0, 20000000 };

	(void)arg;
	if (fd < 0)
		return NULL;
	unlink(path);
	while (running) {
		flush_log(fd);
		nanosleep(&pause, NULL);
		if (lseek(fd, 0, SEEK_CUR) > (8 << 20))
			ftruncate(fd, 0), lseek(fd, 0, SEEK_SET);
	}
	close(fd);
	return NULL;
}

static noinline int poll_backend(void)
{
	struct pollfd p = { .fd = idlepipe[0], .events = POLLIN };

	return poll(&p, 1, 10);
}

static noinline void *poller(void *arg)
{
	(void)arg;
	while (running)
		poll_backend();
	return NULL;
}

static noinline int wait_for_request(void)
{
	char c;

	return read(reqpipe[0], &c, 1);
}

static noinline void *server(void *arg)
{
	(void)arg;
	while (running && wait_for_request() == 1)
		busy_ms(1);
	return NULL;
}

static noinline void accept_loop(int seconds)
{
	struct timespec gap = { 0, 5000000 };
	time_t end = time(NULL) + seconds;

	while (time(NULL) < end) {
		nanosleep(&gap, NULL);
		if (write(reqpipe[1], "r", 1) != 1)
			break;
	}
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 30;
	pthread_t th[7];
	int n = 0;

	if (pipe(reqpipe) || pipe(idlepipe))
		return 1;
	printf("%d\n", getpid());
	fflush(stdout);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[n++], NULL, worker, NULL);
	pthread_create(&th[n++], NULL, logger, NULL);
	pthread_create(&th[n++], NULL, poller, NULL);
	pthread_create(&th[n++], NULL, server, NULL);
	accept_loop(seconds);
	running = 0;
	close(reqpipe[1]);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
