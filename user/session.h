/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The driver every tool runs through: checks, snapshots, load, attach, wait,
 * collect, write. A tool supplies only what is its own (struct lt_tool_ops).
 */
#ifndef LT_SESSION_H
#define LT_SESSION_H
#include <signal.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "profile.h"
#include "syms.h"

struct lt_tool_ops {
	const char *name;
	const char *unit; /* of the aggregated value: "us" */
	const char *unit2; /* of the second sum ("bytes"), or NULL */
	const char *what; /* "off-CPU time" */
	/* Pseudo-frame for a sample's aux (ctx: the tool), or NULL. */
	const char *(*aux_frame)(void *tool, uint64_t aux);
	/* Open, set rodata and map sizes, load. 0 or -errno (printed). */
	int (*load)(void *tool, const struct lt_common *c);
	/* The loaded object (maps shared by the core live in it). */
	struct bpf_object *(*object)(void *tool);
	/* Attach; describe the attach points chosen into buf. 0 or -errno (printed). */
	int (*attach)(void *tool, char *how, size_t sz);
	/*
	 * Optional: called every ~50 ms while tracing and once after (final
	 * true), for tools with more to do (io --slower: print events). 0 or
	 * -errno (printed), which stops the session.
	 */
	int (*tick)(void *tool, bool final);
	void (*destroy)(void *tool);
};

/*
 * The one global: SIGINT/SIGTERM received (1 ends the trace; 2, a second
 * one, also ends symbolization at once).
 */
extern volatile sig_atomic_t lt_exiting;

/* Seconds symbolization may take before frames not yet named stay module+offset. */
#define LT_SYMBOLIZE_BUDGET_S 30

/* Run a tool to completion. Returns the process exit code. */
int lt_session_run(const struct lt_tool_ops *ops, void *tool, const struct lt_common *c);

#endif
