/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one way a tool's BPF object is opened, configured and loaded. A tool
 * lists its variants (attach flavours, in order of preference) and a
 * configure hook for its own rodata and programs; lt_load() does the rest
 * for every tool: open with the BTF path, the target and stack rodata, the
 * CFI unwinder with its frame-pointer fallback, the LATPROF_ATTACH and
 * LATPROF_UNWIND overrides, verifier statistics, destroy on failure, one
 * error line.
 */
#ifndef LT_LOADER_H
#define LT_LOADER_H
#include <stdbool.h>
#include <bpf/libbpf.h>
#include "cli.h"

/* A skeleton's operations, made by LT_SKEL_OPS(skeleton name). */
struct lt_skel_ops {
	void *(*open)(const struct bpf_object_open_opts *oo);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*obj)(const void *skel);
	int (*attach)(void *skel);
};

#define LT_SKEL_OPS(sk)                                                                           \
	static void *sk##_lt_open(const struct bpf_object_open_opts *oo)                          \
	{                                                                                         \
		return sk##__open_opts(oo);                                                       \
	}                                                                                         \
	static int sk##_lt_load(void *s)                                                          \
	{                                                                                         \
		return sk##__load(s);                                                             \
	}                                                                                         \
	static void sk##_lt_destroy(void *s)                                                      \
	{                                                                                         \
		sk##__destroy(s);                                                                 \
	}                                                                                         \
	static struct bpf_object *sk##_lt_obj(const void *s)                                      \
	{                                                                                         \
		return ((const struct sk *)s)->obj;                                               \
	}                                                                                         \
	static int sk##_lt_attach(void *s)                                                        \
	{                                                                                         \
		return sk##__attach(s);                                                           \
	}                                                                                         \
	static const struct lt_skel_ops sk##_ops = { sk##_lt_open, sk##_lt_load, sk##_lt_destroy, \
						     sk##_lt_obj, sk##_lt_attach }

/*
 * One way of loading a tool. LATPROF_ATTACH may name it by name or alt (for
 * example the block flavour and the syscall mechanism of one variant).
 */
struct lt_variant {
	const char *name; /* "tp_btf", "raw_tp", a program's name, ... */
	const char *alt; /* a second name, or NULL */
	const char *label; /* for -v: "tp_btf, syscalls by fentry" */
	int arg; /* the tool's own value */
};

struct lt_loader {
	const char *what; /* "sched_switch": "loading sched_switch as tp_btf failed" */
	const struct lt_skel_ops *skel;
	/*
	 * The tool's rodata and programs for variant v, in skel (opened, not
	 * loaded). 0, -EOPNOTSUPP to skip v (say why with lt_info), or -errno.
	 */
	int (*configure)(void *tool, void *skel, const struct lt_variant *v);
};

/*
 * What the core keeps in every tool's state, as its first member: the
 * session's options, the loaded skeleton and how it loaded.
 */
struct lt_tool_core {
	const struct lt_common *c; /* from load to destroy */
	void *skel;
	struct bpf_object *obj; /* skel's */
	const struct lt_variant *variant;
	bool fp_only; /* the CFI unwinder would not load: frame pointers only */
	/*
	 * When the tool stopped tracing (CLOCK_MONOTONIC s), if it detached
	 * before the end (its final tick): the window ends there, not after.
	 */
	double t_end;
};

/*
 * Load the first of the n variants, each with the CFI unwinder and then the
 * frame-pointer one, that this kernel accepts, into tool's core (core->c
 * set). 0, or -errno with one error line naming the tool printed.
 */
int lt_load(const char *name, const struct lt_loader *l, const struct lt_variant *v, size_t n,
	    void *tool, struct lt_tool_core *core);

/* "CFI + frame pointers" or "frame pointers": the user stacks core's unwinder gives. */
const char *lt_ustack_desc(const struct lt_tool_core *core);

/* Load the n programs p, or not (a tool's configure hook: its variant's programs). */
void lt_progs_autoload(struct bpf_program *const *p, size_t n, bool on);
#define LT_AUTOLOAD(arr, on) lt_progs_autoload((arr), sizeof(arr) / sizeof((arr)[0]), (on))

#endif
