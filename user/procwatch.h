/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel's own account of processes as they change, the way perf record
 * keeps it: one software dummy perf event per CPU that records every
 * executable mmap (with its file's device, inode and path), fork, exec and
 * exit, system-wide, in order. With it a process that lives for a few
 * milliseconds is still named (its mappings are known before it exits), and
 * a new one is published to the BPF unwinder as soon as ld.so has mapped
 * its libraries, instead of at the next poll.
 */
#ifndef LT_PROCWATCH_H
#define LT_PROCWATCH_H
#include <stdint.h>
#include "syms.h"

enum lt_pev_type {
	LT_PEV_MMAP, /* an executable mapping: map */
	LT_PEV_FORK, /* a new process (not a thread): pid from ppid */
	LT_PEV_EXEC, /* pid exec'd: its mappings follow */
	LT_PEV_EXIT, /* thread tid of pid exited */
};

struct lt_pev {
	enum lt_pev_type type;
	uint32_t pid, tid, ppid;
	uint64_t time;
	const struct lt_mapping *map; /* LT_PEV_MMAP */
};

struct lt_procwatch;

/* Open the per-CPU events. NULL with errno set when perf events are unavailable. */
struct lt_procwatch *lt_procwatch__new(void);
void lt_procwatch__free(struct lt_procwatch *w);

/* Wait up to timeout_ms for records. 1 when there are some, 0 on timeout or EINTR. */
int lt_procwatch__poll(struct lt_procwatch *w, int timeout_ms);

/*
 * Hand every record written so far to cb, in time order across CPUs; stops
 * at cb's first non-zero return, which it returns. Otherwise the number of
 * records, or -ENOMEM.
 */
int lt_procwatch__drain(struct lt_procwatch *w, int (*cb)(const struct lt_pev *e, void *ctx),
			void *ctx);

/* Records the kernel could not write (a ring was full). Cannot fail. */
uint64_t lt_procwatch__lost(const struct lt_procwatch *w);

#endif
