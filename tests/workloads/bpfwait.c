// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ground truth for BPF programs named in kernel stacks: wait_in_bpf() runs
 * the sleepable BPF program lt_wait_in_bpf 5 times; each time it reads a page
 * that userfaultfd holds back for 200 ms, so the thread is off-CPU 5 x 200 ms
 * with bpf_prog_TAG_lt_wait_in_bpf on its kernel stack. Prints its pid and,
 * on a second line, the program's tag; then waits for SIGUSR1 ("nowait": at
 * once). Needs root (BPF, kernel-mode faults on userfaultfd). Each run is
 * timed by the workload's own clock (wlclock.h), printed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpfwait.skel.h"
#include "wlclock.h"

#define ROUNDS 5
#define HOLD_MS 200

static long page;
static int uffd;

static void *resolver(void *arg)
{
	static char src[65536] __attribute__((aligned(4096)));

	(void)arg;
	memset(src, 'x', sizeof(src));
	for (int i = 0; i < ROUNDS; i++) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };
		struct uffd_msg msg;
		struct timespec ts = { 0, HOLD_MS * 1000000L };

		if (poll(&p, 1, -1) <= 0 || read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			return NULL;
		nanosleep(&ts, NULL);
		struct uffdio_copy c = {
			.dst = msg.arg.pagefault.address & ~(page - 1),
			.src = (unsigned long)src,
			.len = page,
		};
		ioctl(uffd, UFFDIO_COPY, &c);
	}
	return NULL;
}

static __attribute__((noinline)) int wait_in_bpf(int prog_fd, char *area)
{
	int err = 0;

	for (int i = 0; i < ROUNDS && !err; i++) {
		struct {
			__u64 addr;
		} args = { (unsigned long)(area + i * page) };
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &args, .ctx_size_in = sizeof(args));

		WL_TIMED("wait_in_bpf", err = bpf_prog_test_run_opts(prog_fd, &o));
	}
	return err;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct bpfwait_bpf *skel;
	pthread_t th;
	sigset_t set;
	char *area;
	int sig, err;

	page = sysconf(_SC_PAGESIZE);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	skel = bpfwait_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bpfwait: cannot load the BPF program: %s\n", strerror(errno));
		return 1;
	}
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	area = mmap(NULL, ROUNDS * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	reg = (struct uffdio_register){ .range = { (unsigned long)area, ROUNDS * page },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	if (uffd < 0 || area == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		fprintf(stderr, "bpfwait: userfaultfd: %s\n", strerror(errno));
		return 1;
	}
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.lt_wait_in_bpf), &info, &len);
		printf("%d\n", getpid());
		for (int i = 0; i < BPF_TAG_SIZE; i++)
			printf("%02x", info.tag[i]);
		printf("\n");
		fflush(stdout);
	}
	if (argc < 2 || strcmp(argv[1], "nowait"))
		sigwait(&set, &sig);
	pthread_create(&th, NULL, resolver, NULL);
	err = wait_in_bpf(bpf_program__fd(skel->progs.lt_wait_in_bpf), area);
	pthread_join(th, NULL);
	bpfwait_bpf__destroy(skel);
	if (err)
		fprintf(stderr, "bpfwait: test run: %s\n", strerror(-err));
	return err ? 1 : 0;
}
