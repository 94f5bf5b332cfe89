/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Opening files that a traced process names, as root (docs/SECURITY.md).
 * A path from /proc/PID/maps, a debug link or a perf map name is untrusted:
 * it is resolved inside the process's root, so no symlink leads out of it;
 * the open never blocks (a FIFO) and never takes a terminal; only regular
 * files of a bounded size are accepted. Each refusal is counted by reason.
 */
#ifndef LT_SAFEOPEN_H
#define LT_SAFEOPEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Why a file was refused (lt_open_refused[]). */
enum lt_refusal {
	LT_REFUSE_NOT_REGULAR, /* a device, FIFO, socket or directory */
	LT_REFUSE_TOO_BIG, /* larger than the caller's bound */
	LT_REFUSE_ESCAPE, /* resolving it left the process's root, or crossed a magic link */
	LT_REFUSE_SYMLINK, /* a symlink where none is allowed */
	LT_REFUSE_OWNER, /* not owned by the process's user */
	LT_REFUSE_NOT_MAPPED, /* a host path that is not the file the process mapped */
	LT_REFUSE_NR,
};

/* Refusals so far, by reason, and their names for the -v line. */
extern unsigned long lt_open_refused[LT_REFUSE_NR];
extern const char *const lt_refusal_name[LT_REFUSE_NR];

/* How to open. */
struct lt_open_how {
	int root; /* directory fd the path is resolved in (as its "/"); AT_FDCWD: the host's */
	size_t max_size; /* 0: no bound */
	bool no_symlinks; /* refuse any symlink on the way */
	bool magic; /* a /proc magic link (map_files): followed, it is the kernel's own */
};

/*
 * Open path read-only as `how` says, O_NONBLOCK and O_NOCTTY, and check that
 * it is a regular file within bounds (*st filled, when st is not NULL).
 * Returns the fd, or -errno: -EXDEV for an escape, -ELOOP for a refused
 * symlink, -EINVAL for a file that is not regular, -EFBIG for one too large
 * (each counted in lt_open_refused).
 */
int lt_open(const char *path, const struct lt_open_how *how, struct stat *st);

/* The root directory of process pid, as an O_PATH fd to resolve in; -errno. */
int lt_proc_root(uint32_t pid);

/* Does process pid share latprof's mount namespace? */
bool lt_same_mnt_ns(uint32_t pid);

/* The kernel's dev_t encoding of st's device (as /proc/PID/maps gives it). */
uint32_t lt_kdev(const struct stat *st);

#endif
