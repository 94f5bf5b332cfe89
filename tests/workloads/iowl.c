// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ground-truth workload for `latprof io`. Prints its pid, waits for SIGUSR1
 * (unless the first argument is "nowait"), then:
 *
 *   direct N FILE  writer_direct(): N writes of 4 KiB with O_DIRECT, each its
 *                  own pwrite() at a new offset, so N block write requests
 *   sync K FILE    writer_sync(): K times, a 4 KiB buffered pwrite() to a new
 *                  offset, then fdatasync()
 *   read N FILE    reader(): N preads of 4 KiB from FILE (which must hold
 *                  N x 4 KiB)
 *   slow K FILE    writer_slow(): K times, 64 MiB of buffered writes in 256
 *                  KiB pieces (each fast) and then fsync() (slow: it writes the
 *                  64 MiB to the disk); each call is timed by the workload's
 *                  own clock (wlclock.h), accounts "pwrite64" and "fsync"
 *   overwrite K FILE  writer_overwrite(): K times, a 4 KiB pwrite() over a
 *                  block FILE already holds (made and synced before SIGUSR1),
 *                  then fdatasync(): no metadata changes, so ext4 sends the
 *                  cache flush itself, from the caller (blkdev_issue_flush)
 *   reuse K PREFIX SQLite's journal dance: journal_sync() writes and
 *                  fdatasyncs PREFIX-journal twice, closes and unlinks it;
 *                  wal_sync() then opens PREFIX-wal, which gets the same fd
 *                  (and on ext4 the freed inode number), and writes and
 *                  fdatasyncs it K times, and keeps it open 3 s. Prints
 *                  "journal FD INO" and "wal FD INO".
 *   compat K FILE  ia32_calls(): K times, a 32-bit system call by int $0x80
 *                  numbered as an x86_64 call a tracer times (getpid, 20:
 *                  x86_64's writev; waitpid(-1), 7, with no child: poll),
 *                  then a 1-byte pwrite() to FILE. A tracer that takes the
 *                  32-bit numbers for 64-bit ones sees K writev and K poll;
 *                  there are none, and K pwrite64. Prints "ia32 N" with the
 *                  number of 32-bit calls made (0 without IA32 emulation).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wlclock.h"

#define noinline __attribute__((noinline, noclone))
#define BLK 4096

static noinline int writer_direct(const char *path, int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_DIRECT, 0644);
	void *buf;

	if (fd < 0 || posix_memalign(&buf, BLK, BLK))
		return 1;
	memset(buf, 'd', BLK);
	for (int i = 0; i < n; i++)
		if (pwrite(fd, buf, BLK, (off_t)i * BLK) != BLK)
			return 1;
	free(buf);
	return close(fd) != 0;
}

static noinline int writer_sync(const char *path, int k)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	char buf[BLK];

	if (fd < 0)
		return 1;
	memset(buf, 's', BLK);
	for (int i = 0; i < k; i++)
		if (pwrite(fd, buf, BLK, (off_t)i * BLK) != BLK || fdatasync(fd))
			return 1;
	return close(fd) != 0;
}

static noinline int writer_overwrite(const char *path, int k)
{
	int fd = open(path, O_WRONLY);
	char buf[BLK];

	if (fd < 0)
		return 1;
	memset(buf, 'o', BLK);
	for (int i = 0; i < k; i++)
		if (pwrite(fd, buf, BLK, (off_t)(i % 16) * BLK) != BLK || fdatasync(fd))
			return 1;
	return close(fd) != 0;
}

static noinline int reader(const char *path, int n)
{
	int fd = open(path, O_RDONLY);
	char buf[BLK];

	if (fd < 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (pread(fd, buf, BLK, (off_t)i * BLK) != BLK)
			return 1;
	return close(fd) != 0;
}

static noinline int writer_slow(const char *path, int k)
{
	enum { PIECE = 256 << 10, TOTAL = 64 << 20 };
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	char *buf = malloc(PIECE);

	if (fd < 0 || !buf)
		return 1;
	memset(buf, 'w', PIECE);
	for (int i = 0; i < k; i++) {
		int rc;

		for (int off = 0; off < TOTAL; off += PIECE) {
			ssize_t w;

			WL_TIMED("pwrite64", w = pwrite(fd, buf, PIECE, (off_t)i * TOTAL + off));
			if (w != PIECE)
				return 1;
		}
		WL_TIMED("fsync", rc = fsync(fd));
		if (rc)
			return 1;
	}
	free(buf);
	return close(fd) != 0;
}

/*
 * Makes PREFIX-SUFFIX, says "SUFFIX FD INODE", and writes and fdatasyncs it
 * k times. Returns its fd, or -1.
 */
static int synced_file(const char *prefix, const char *suffix, int k)
{
	char path[4096], buf[BLK];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s-%s", prefix, suffix);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || fstat(fd, &st))
		return -1;
	printf("%s %d %llu\n", suffix, fd, (unsigned long long)st.st_ino);
	fflush(stdout);
	memset(buf, suffix[0], BLK);
	for (int i = 0; i < k; i++)
		if (pwrite(fd, buf, BLK, (off_t)i * BLK) != BLK || fdatasync(fd))
			return -1;
	return fd;
}

static noinline int journal_sync(const char *prefix)
{
	char path[4096];
	int fd = synced_file(prefix, "journal", 2);

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(path, sizeof(path), "%s-journal", prefix);
	return unlink(path);
}

static noinline int wal_sync(const char *prefix, int k)
{
	int fd = synced_file(prefix, "wal", k);

	if (fd < 0)
		return 1;
	sleep(3); /* still open while latprof names its files */
	return close(fd) != 0;
}

static noinline int ia32_calls(const char *path, int k)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), n = 0;

	if (fd < 0)
		return 1;
	for (int i = 0; i < k; i++) {
#ifdef __x86_64__
		long r1 = 20, r2 = 7; /* ia32 getpid, waitpid */

		/* int $0x80 zeroes r8-r11 on return. */
		__asm__ volatile("int $0x80" : "+a"(r1) : : "r8", "r9", "r10", "r11", "memory");
		__asm__ volatile("int $0x80"
				 : "+a"(r2)
				 : "b"(-1L), "c"(0L), "d"(0L)
				 : "r8", "r9", "r10", "r11", "memory");
		n += (r1 == getpid()) + (r2 == -10); /* -ECHILD */
#endif
		if (pwrite(fd, "x", 1, i) != 1)
			return 1;
	}
	printf("ia32 %d\n", n);
	return close(fd) != 0;
}

int main(int argc, char **argv)
{
	int a = 1, n, sig;
	sigset_t set;

	if (argc > 1 && !strcmp(argv[1], "nowait"))
		a++;
	if (argc < a + 3) {
		fprintf(stderr,
			"usage: iowl [nowait] direct|sync|read|slow|overwrite|reuse|compat N FILE\n");
		return 2;
	}
	n = atoi(argv[a + 1]);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (!strcmp(argv[a], "overwrite") && writer_sync(argv[a + 2], 16))
		return 1; /* the blocks to overwrite, allocated and synced */
	printf("%d\n", getpid());
	fflush(stdout);
	if (a == 1)
		sigwait(&set, &sig);
	if (!strcmp(argv[a], "direct"))
		return writer_direct(argv[a + 2], n);
	if (!strcmp(argv[a], "sync"))
		return writer_sync(argv[a + 2], n);
	if (!strcmp(argv[a], "read"))
		return reader(argv[a + 2], n);
	if (!strcmp(argv[a], "slow"))
		return writer_slow(argv[a + 2], n);
	if (!strcmp(argv[a], "overwrite"))
		return writer_overwrite(argv[a + 2], n);
	if (!strcmp(argv[a], "reuse"))
		return journal_sync(argv[a + 2]) || wal_sync(argv[a + 2], n);
	if (!strcmp(argv[a], "compat"))
		return ia32_calls(argv[a + 2], n);
	fprintf(stderr, "unknown mode '%s'\n", argv[a]);
	return 2;
}
