/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Waker stacks in user space, for the tools that take them (offcpu and wall
 * --wakers): the options, the BPF side's rodata (bpf/waker.bpf.h), and a
 * sample's waker read back for its second stack (struct lt_mode.aux_second).
 */
#ifndef LT_WAKERS_H
#define LT_WAKERS_H
#include <getopt.h>
#include <stdbool.h>
#include <bpf/libbpf.h>
#include "stack_agg.h"

struct lt_waker_opts {
	bool on; /* --wakers */
	unsigned long long pid; /* --waker-pid, 0: any */
	const char *comm; /* --waker-comm, NULL: any */
};

/* The three options, keyed from base (a tool's first free LT_OPT_TOOL + n). */
#define LT_WAKER_LONGOPTS(base)                                       \
	{ "wakers", no_argument, NULL, (base) },                      \
		{ "waker-pid", required_argument, NULL, (base) + 1 }, \
	{                                                             \
		"waker-comm", required_argument, NULL, (base) + 2     \
	}

#define LT_WAKER_HELP                                                                  \
	"      --wakers                who ended each block: the waker's stacks and\n" \
	"                              comm after a -- frame ([timer], [irq] for\n"    \
	"                              interrupts), as offwaketime folds them\n"       \
	"      --waker-pid PID         only blocks ended by process PID (--wakers)\n"  \
	"      --waker-comm NAME       only blocks ended by a task named NAME\n"

/* Option key - base (0, 1 or 2) with its argument. 0 or -EINVAL (printed). */
int lt_waker_parse(struct lt_waker_opts *o, int which, const char *arg);

/* The BPF side's rodata and map size, in obj (opened, not loaded). 0 or -errno. */
int lt_wakers_configure(struct bpf_object *obj, const struct lt_waker_opts *o);

/*
 * A mode's aux_second for wakers: aux's waker (lt_waker_aux and aux2), as a
 * key's thread, comm and stack ids; false: none. tool: its struct lt_tool_core.
 */
bool lt_waker_second(void *tool, uint64_t aux, struct lt_stack_key *k);

#endif
