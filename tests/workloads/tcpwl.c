// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ground-truth workload for `latprof tcp`, on loopback. Prints its pid,
 * waits for SIGUSR1 (unless the first argument is "nowait"), then runs a
 * mode; "-6" before the mode uses ::1 instead of 127.0.0.1, "-u PATH" the
 * unix socket PATH (PORT is then ignored; "@NAME" is the abstract NAME).
 *
 *   synretry PORT   a listener with backlog 0 that accepts nothing for 300 ms:
 *                   connect_fill() takes the one queue slot, connect_slow()'s
 *                   SYN is dropped and completes on the 1 s SYN retransmit
 *   refused PORT [K]  connect_refused() to a port nobody listens on, K times
 *                   (default 1)
 *   abandon PORT    the listener of synretry; connect_abandon() starts a
 *                   non-blocking connect whose SYN is dropped and closes the
 *                   socket 100 ms later, unanswered
 *   life N M PORT   client_life() sends exactly N bytes to a server thread
 *                   that reads them all, answers exactly M bytes and closes;
 *                   the client reads the M bytes and closes
 *   delay K PORT    K requests of 1 byte to a server thread that answers each
 *                   200 ms later: the client blocks in recv() inside
 *                   wait_reply() 200 ms per request
 *   conns K PORT    K connections one after another, each from a new
 *                   ephemeral port, each one request of 1 byte: the client
 *                   sends it 20 ms after connecting, so the server's read()
 *                   in serve_conn() blocks ~20 ms per connection; the server
 *                   answers at once and closes
 *
 * connect() in connect_slow() and recv() in wait_reply() are timed by the
 * workload's own clock (wlclock.h), printed at exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wlclock.h"

#define noinline __attribute__((noinline, noclone))

static int v6;
static int port;
static const char *unix_path; /* -u PATH */

static int family(void)
{
	return unix_path ? AF_UNIX : v6 ? AF_INET6 : AF_INET;
}

static socklen_t addr_of(struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (unix_path) {
		struct sockaddr_un *a = (struct sockaddr_un *)ss;

		a->sun_family = AF_UNIX;
		if (unix_path[0] == '@') { /* abstract: a NUL, then the name, unterminated */
			size_t n = strnlen(unix_path + 1, sizeof(a->sun_path) - 1);

			memcpy(a->sun_path + 1, unix_path + 1, n);
			return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
		}
		snprintf(a->sun_path, sizeof(a->sun_path), "%s", unix_path);
		return sizeof(*a);
	}
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*a);
}

static int listener(int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(&ss);
	int one = 1, fd = socket(family(), SOCK_STREAM, 0);

	if (unix_path && unix_path[0] != '@')
		unlink(unix_path);
	else if (!unix_path)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog))
		return -1;
	return fd;
}

/* One blocking connect, timed in account WHO; the fd, or -errno. */
static noinline int do_connect(const char *who)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(&ss);
	int fd = socket(family(), SOCK_STREAM, 0), rc;

	if (fd < 0)
		return -errno;
	WL_TIMED(who, rc = connect(fd, (struct sockaddr *)&ss, len));
	if (rc) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * `after` keeps each caller's frame (no tail call to do_connect()); its
 * different increments keep GCC from folding the three into one (-fipa-icf).
 */
static noinline int connect_fill(void)
{
	volatile int after = 0, r = do_connect("connect_fill");

	after++;
	return r;
}

static noinline int connect_slow(void)
{
	volatile int after = 0, r = do_connect("connect_slow");

	after += 2;
	return r;
}

static noinline int connect_refused(void)
{
	volatile int after = 0, r = do_connect("connect_refused");

	after += 3;
	return r;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static noinline int connect_abandon(void)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(&ss);
	int fd = socket(family(), SOCK_STREAM | SOCK_NONBLOCK, 0), rc;

	if (fd < 0)
		return 1;
	rc = connect(fd, (struct sockaddr *)&ss, len);
	nap_ms(100);
	close(fd);
	return !(rc && errno == EINPROGRESS);
}

static int abandon(void)
{
	int lfd = listener(0), a;

	if (lfd < 0)
		return 1;
	a = connect_fill();
	return a < 0 || connect_abandon();
}

static void *late_accept(void *arg)
{
	int lfd = *(int *)arg;

	nap_ms(300);
	for (int i = 0; i < 2; i++)
		accept(lfd, NULL, NULL);
	return NULL;
}

static int synretry(void)
{
	int lfd = listener(0), a, b;
	pthread_t th;

	if (lfd < 0)
		return 1;
	a = connect_fill();
	pthread_create(&th, NULL, late_accept, &lfd);
	b = connect_slow();
	pthread_join(th, NULL);
	fprintf(stderr, "synretry: fill %d slow %d\n", a, b);
	return a < 0 || b < 0;
}

static long life_n, life_m;

static int io_all(int fd, char *buf, long n, int writing)
{
	while (n > 0) {
		long chunk = n > 65536 ? 65536 : n;
		ssize_t r = writing ? write(fd, buf, chunk) : read(fd, buf, chunk);

		if (r <= 0)
			return -1;
		n -= r;
	}
	return 0;
}

static void *life_server(void *arg)
{
	static char buf[65536];
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);

	if (fd >= 0) {
		io_all(fd, buf, life_n, 0);
		io_all(fd, buf, life_m, 1);
		close(fd);
	}
	return NULL;
}

static noinline int client_life(void)
{
	static char buf[65536];
	int fd = do_connect("client_life"), err;

	if (fd < 0)
		return 1;
	memset(buf, 'x', sizeof(buf));
	err = io_all(fd, buf, life_n, 1) || io_all(fd, buf, life_m, 0);
	close(fd);
	return err;
}

static int delay_k;

static void *delay_server(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	char c;

	for (int i = 0; fd >= 0 && i < delay_k; i++) {
		if (read(fd, &c, 1) != 1)
			break;
		nap_ms(200);
		if (write(fd, &c, 1) != 1)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static noinline int wait_reply(int fd)
{
	volatile int after = 0;
	char c = 'q';
	ssize_t got = 0;
	int r;

	if (send(fd, &c, 1, 0) == 1)
		WL_TIMED("wait_reply", got = recv(fd, &c, 1, 0));
	r = got == 1 ? 0 : 1;

	after++;
	return r;
}

static int delay(void)
{
	int lfd = listener(8), fd, err = 0;
	pthread_t th;

	if (lfd < 0)
		return 1;
	pthread_create(&th, NULL, delay_server, &lfd);
	fd = do_connect("delay");
	for (int i = 0; fd >= 0 && i < delay_k && !err; i++)
		err = wait_reply(fd);
	if (fd >= 0)
		close(fd);
	pthread_join(th, NULL);
	return fd < 0 || err;
}

static noinline int serve_conn(int fd)
{
	volatile int after = 0;
	ssize_t got;
	char c;

	WL_TIMED("serve_conn", got = read(fd, &c, 1));
	if (got == 1 && write(fd, &c, 1) != 1)
		got = 0;
	close(fd);
	after++;
	return got == 1 ? 0 : 1;
}

static void *conns_server(void *arg)
{
	int lfd = *(int *)arg;

	for (int i = 0; i < delay_k; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0 || serve_conn(fd))
			break;
	}
	return NULL;
}

static noinline int one_conn(void)
{
	volatile int after = 0;
	int fd = do_connect("one_conn"), r = 1;
	char c = 'q';

	if (fd < 0)
		return 1;
	nap_ms(20);
	if (send(fd, &c, 1, 0) == 1 && recv(fd, &c, 1, 0) == 1)
		r = 0;
	close(fd);
	after += 2;
	return r;
}

static int conns(void)
{
	int lfd = listener(64), err = 0;
	pthread_t th;

	if (lfd < 0)
		return 1;
	pthread_create(&th, NULL, conns_server, &lfd);
	for (int i = 0; i < delay_k && !err; i++)
		err = one_conn();
	pthread_join(th, NULL);
	close(lfd);
	return err;
}

static int life(void)
{
	int lfd = listener(8), err;
	pthread_t th;

	if (lfd < 0)
		return 1;
	pthread_create(&th, NULL, life_server, &lfd);
	err = client_life();
	pthread_join(th, NULL);
	close(lfd);
	nap_ms(100); /* the last FIN and ACK */
	return err;
}

int main(int argc, char **argv)
{
	int a = 1, sig;
	sigset_t set;

	if (argc > a && !strcmp(argv[a], "nowait"))
		a++;
	if (argc > a && !strcmp(argv[a], "-6")) {
		v6 = 1;
		a++;
	}
	if (argc > a + 1 && !strcmp(argv[a], "-u")) {
		unix_path = argv[a + 1];
		a += 2;
	}
	if (argc < a + 2) {
		fprintf(stderr, "usage: tcpwl [nowait] [-6] synretry|refused PORT\n");
		return 2;
	}
	if (!strcmp(argv[a], "life")) {
		if (argc < a + 4) {
			fprintf(stderr, "usage: tcpwl [nowait] [-6] life N M PORT\n");
			return 2;
		}
		life_n = atol(argv[a + 1]);
		life_m = atol(argv[a + 2]);
		port = atoi(argv[a + 3]);
	} else if (!strcmp(argv[a], "delay") || !strcmp(argv[a], "conns")) {
		if (argc < a + 3) {
			fprintf(stderr, "usage: tcpwl [nowait] [-6] delay|conns K PORT\n");
			return 2;
		}
		delay_k = atoi(argv[a + 1]);
		port = atoi(argv[a + 2]);
	} else {
		port = atoi(argv[a + 1]);
		delay_k = argc > a + 2 ? atoi(argv[a + 2]) : 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", getpid());
	fflush(stdout);
	if (strcmp(argv[1], "nowait"))
		sigwait(&set, &sig);
	if (!strcmp(argv[a], "synretry"))
		return synretry();
	if (!strcmp(argv[a], "refused")) {
		for (int i = 0; i < delay_k; i++)
			if (connect_refused() != -ECONNREFUSED)
				return 1;
		return 0;
	}
	if (!strcmp(argv[a], "abandon"))
		return abandon();
	if (!strcmp(argv[a], "life"))
		return life();
	if (!strcmp(argv[a], "delay"))
		return delay();
	if (!strcmp(argv[a], "conns"))
		return conns();
	fprintf(stderr, "unknown mode '%s'\n", argv[a]);
	return 2;
}
