// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include "safeopen.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

unsigned long lt_open_refused[LT_REFUSE_NR];
const char *const lt_refusal_name[LT_REFUSE_NR] = {
	[LT_REFUSE_NOT_REGULAR] = "not a regular file",
	[LT_REFUSE_TOO_BIG] = "too large",
	[LT_REFUSE_ESCAPE] = "out of the process's root",
	[LT_REFUSE_SYMLINK] = "a symlink",
	[LT_REFUSE_OWNER] = "not owned by the process's user",
	[LT_REFUSE_NOT_MAPPED] = "not the file the process mapped",
};

#define LT_OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

static int refuse(enum lt_refusal why, int err)
{
	lt_open_refused[why]++;
	return err;
}

/*
 * Kernels without openat2 (before 5.6): walk the path a component at a time
 * under root, following no symlink at all (paths in /proc/PID/maps are
 * already resolved by the kernel, so they need none), and ".." never above
 * root.
 */
static int open_walk(int root, const char *path)
{
	char comp[256];
	struct stat rst, st;
	int cur, fd;

	if (fstat(root, &rst))
		return -errno;
	cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return -errno;
	for (const char *p = path; *p;) {
		size_t len;
		bool last;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (!len)
			break;
		if (len >= sizeof(comp)) {
			close(cur);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, len);
		comp[len] = 0;
		p += len;
		while (*p == '/')
			p++;
		last = !*p;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..") && !fstat(cur, &st) && st.st_dev == rst.st_dev &&
		    st.st_ino == rst.st_ino)
			continue; /* ".." of the root is the root */
		fd = openat(cur, comp,
			    (last ? LT_OPEN_FLAGS : O_PATH | O_DIRECTORY | O_CLOEXEC) | O_NOFOLLOW);
		close(cur);
		if (fd < 0)
			return errno == ELOOP ? refuse(LT_REFUSE_SYMLINK, -ELOOP) : -errno;
		if (last)
			return fd;
		cur = fd;
	}
	close(cur);
	return -EISDIR;
}

int lt_open(const char *path, const struct lt_open_how *how, struct stat *stp)
{
	struct open_how oh = { .flags = LT_OPEN_FLAGS };
	struct stat st;
	int fd;

	if (how->magic) {
		fd = open(path, LT_OPEN_FLAGS);
	} else {
		oh.resolve = RESOLVE_NO_MAGICLINKS | (how->root == AT_FDCWD ? 0 : RESOLVE_IN_ROOT) |
			     (how->no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
		/* LATPROF_NO_OPENAT2: tests prove the walk kernels before 5.6 take. */
		if (getenv("LATPROF_NO_OPENAT2")) {
			fd = -1;
			errno = ENOSYS;
		} else {
			fd = syscall(SYS_openat2, how->root, path, &oh, sizeof(oh));
		}
		if (fd < 0 && errno == ENOSYS) {
			int root = how->root;

			if (root == AT_FDCWD &&
			    (root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
				return -errno;
			fd = open_walk(root, path);
			if (root != how->root)
				close(root);
		} else if (fd < 0 && errno == ELOOP)
			return refuse(how->no_symlinks ? LT_REFUSE_SYMLINK : LT_REFUSE_ESCAPE,
				      -ELOOP);
		else if (fd < 0 && errno == EXDEV)
			return refuse(LT_REFUSE_ESCAPE, -EXDEV);
		else if (fd < 0)
			fd = -errno;
		if (fd < 0)
			return fd;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(LT_REFUSE_NOT_REGULAR, -EINVAL);
	}
	if (how->max_size && (uint64_t)st.st_size > how->max_size) {
		close(fd);
		return refuse(LT_REFUSE_TOO_BIG, -EFBIG);
	}
	if (stp)
		*stp = st;
	return fd;
}

int lt_proc_root(uint32_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/root", pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

bool lt_same_mnt_ns(uint32_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/ns/mnt", pid);
	return !stat("/proc/self/ns/mnt", &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

uint32_t lt_kdev(const struct stat *st)
{
	return (major(st->st_dev) << 20) | minor(st->st_dev);
}
