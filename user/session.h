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
#include "loader.h"
#include "profile.h"
#include "syms.h"

/* Which stacks a mode takes. */
enum lt_stack_policy {
	LT_STACKS_ASKED, /* both, or the one -U/-K asks for */
	LT_STACKS_USER, /* the user stack only (the kernel side says nothing: a syscall, a uprobe) */
	LT_STACKS_NO_USER, /* no user stack (softirq work; block requests without --stacks) */
};

/* What a tool measures in one of its modes: a row of the tool's table. */
struct lt_mode {
	const char *unit; /* of the aggregated value: "us" */
	const char *unit2; /* of the second sum ("bytes"), or NULL */
	const char *what; /* "off-CPU time" */
	enum lt_stack_policy stacks;
	bool stream; /* stdout is the tool's event stream: the profile goes to -o only */
	bool own_interval; /* the tool reads -i itself (its tick): no interval summaries */
	/*
	 * Stacks of tasks other than the targets are taken too (offcpu
	 * --wakers): every process is snapshotted and followed, as system-wide.
	 */
	bool foreign_stacks;
	/* Pseudo-frame for a sample's aux (ctx: the tool), or NULL. */
	const char *(*aux_frame)(void *tool, uint64_t aux);
	/* The root frame (comm) of a sample no task is charged with, or NULL. */
	const char *(*aux_root)(void *tool, uint64_t aux);
	/* A second stack joined to a sample (offcpu --wakers), or NULL: see lt_profile. */
	bool (*aux_second)(void *tool, uint64_t aux, struct lt_stack_key *second);
	/* A pseudo-frame at the leaf (wall's state), or NULL: see lt_profile. */
	const char *(*aux_leaf)(void *tool, uint64_t aux, const char *const *frames,
				const uint8_t *kind, uint32_t n);
	/* The ways of loading this mode's programs, in order of preference. */
	const struct lt_variant *variants;
	size_t nvariants;
};

/* In a struct lt_mode initializer: the array v as its variants. */
#define LT_VARIANTS(v) .variants = (v), .nvariants = sizeof(v) / sizeof((v)[0])

/*
 * The one global: SIGINT/SIGTERM received (1 ends the trace; 2, a second
 * one, also ends symbolization at once).
 */
extern volatile sig_atomic_t lt_exiting;

/* Seconds symbolization may take before frames not yet named stay module+offset. */
#define LT_SYMBOLIZE_BUDGET_S 30

/*
 * A tool: its options, its BPF skeleton, its table of modes and a few hooks.
 * The core loads the skeleton (lt_load() with the mode's variants), attaches
 * its programs, runs the session and destroys the skeleton; the tool's state
 * begins with a struct lt_tool_core, where the core keeps the skeleton.
 */
struct lt_tool {
	const struct lt_cli_tool *cli; /* its name, options and help */
	struct lt_loader load; /* its skeleton and rodata */
	const struct lt_mode *modes; /* the tool's table of modes */
	/* Optional: the row of modes the parsed options ask for (default 0). */
	unsigned int (*mode)(const void *opts);
	/*
	 * Optional: after the core attached the skeleton's programs, the tool's
	 * own attach points (uprobes) and readers. Describe what was chosen
	 * into how (default: the variant's label). 0 or -errno (printed).
	 */
	int (*attach)(void *tool, char *how, size_t sz);
	/*
	 * Optional: called every ~50 ms while tracing and once after (final
	 * true), for tools with more to do (io --slower: print events). 0 or
	 * -errno (printed), which stops the session.
	 */
	int (*tick)(void *tool, bool final);
	/* Optional: after the summary, the tool's own report on the named profile (stderr). */
	void (*report)(void *tool, const struct lt_profile *p);
	/* Optional: free the tool's own state; the core destroys the skeleton after. */
	void (*destroy)(void *tool);
	size_t size; /* of the tool's state, zeroed before use */
	size_t opts; /* offset in it of the options lt_cli_parse() fills */
	void (*defaults)(void *opts); /* option defaults other than zero, or NULL */
	/*
	 * Optional: a run that only reads and prints, loading nothing (func
	 * --list). Its exit code, or -1 to trace as usual.
	 */
	int (*inspect)(void *opts, const struct lt_common *c);
};

/* Parse argv (argv[0]: the tool's name) and run the tool to completion. The exit code. */
int lt_tool_main(const struct lt_tool *t, int argc, char **argv);

#endif
