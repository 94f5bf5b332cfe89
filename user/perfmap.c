// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Perf maps (/tmp/perf-PID.map): the JIT code a runtime describes, read safely. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "err.h"
#include "perfmap.h"
#include "safeopen.h"

static int cmp_jit(const void *a, const void *b)
{
	const struct lt_jit_sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int lt_perf_map_read(FILE *f, struct lt_jit_sym **syms, unsigned int *n)
{
	char line[4400], name[4096];
	unsigned long long start, size;
	bool partial = false;
	size_t cap = 0;

	*syms = NULL;
	*n = 0;
	while (fgets(line, sizeof(line), f) && *n < LT_PERF_MAP_SYMS) {
		bool tail = partial;

		partial = !strchr(line, '\n') && !feof(f);
		if (tail || partial ||
		    sscanf(line, "%llx %llx %4095[^\n]", &start, &size, name) != 3)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct lt_jit_sym *nj = realloc(*syms, ncap * sizeof(*nj));

			if (!nj)
				return -ENOMEM;
			*syms = nj;
			cap = ncap;
		}
		(*syms)[*n].start = start;
		(*syms)[*n].size = size;
		(*syms)[*n].name = strdup(name);
		if ((*syms)[*n].name)
			(*n)++;
	}
	if (*n)
		qsort(*syms, *n, sizeof(**syms), cmp_jit);
	return 0;
}

/* Is uid one of the process's real and effective user ids? */
static bool proc_uid_is(uint32_t tgid, uid_t uid)
{
	unsigned long real, eff;
	char path[64], line[256];
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", tgid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %lu %lu", &real, &eff) == 2) {
			yes = uid == real || uid == eff;
			break;
		}
	fclose(f);
	return yes;
}

/*
 * Open the perf map of a process safely: /tmp/perf-NSPID.map inside its root,
 * then /tmp/perf-PID.map on the host when it shares our mount namespace; no
 * symlink on the way; a regular file of at most LT_PERF_MAP_MAX bytes owned
 * by the process's user (perf accepts root's too; a root-owned file is the
 * one a process could be pointed at, so it is accepted only from root).
 */
FILE *lt_perf_map_open(uint32_t tgid, uint32_t nspid)
{
	struct lt_open_how how = { .max_size = LT_PERF_MAP_MAX, .no_symlinks = true };
	char path[64];
	struct stat st;
	int fd = -ENOENT, root = lt_proc_root(tgid);
	FILE *f;

	if (root >= 0) {
		how.root = root;
		snprintf(path, sizeof(path), "/tmp/perf-%u.map", nspid);
		fd = lt_open(path, &how, &st);
		close(root);
	}
	if (fd == -ENOENT && lt_same_mnt_ns(tgid)) {
		how.root = AT_FDCWD;
		snprintf(path, sizeof(path), "/tmp/perf-%u.map", tgid);
		fd = lt_open(path, &how, &st);
	}
	if (fd < 0)
		return NULL;
	if (!proc_uid_is(tgid, st.st_uid)) {
		lt_open_refused[LT_REFUSE_OWNER]++;
		lt_info("perf map of pid %u refused: owned by uid %u, not the process's user", tgid,
			(unsigned int)st.st_uid);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}
