// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof offcpu: where threads wait. A thin driver over the core: options,
 * rodata, and the choice of attach flavour; everything else is shared.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "err.h"
#include "offcpu.h"
#include "stack_agg.h" /* types the skeleton names */
#include "unwind.h"
#include "offcpu.skel.h"
#include "loader.h"
#include "wakers.h"
#include "session.h"
#include "stacks.h"
#include "tools.h"

struct offcpu_opts {
	unsigned long long min_block_us, max_block_us;
	struct lt_waker_opts wakers;
	uint32_t classes;
	bool include_preempt;
};

struct offcpu_tool {
	struct lt_tool_core core; /* core.skel: struct offcpu_bpf */
	struct offcpu_opts o;
};

enum {
	OPT_STATE = LT_OPT_TOOL,
	OPT_INCLUDE_PREEMPT,
	OPT_WAKERS, /* and the two after it */
};

static const struct option offcpu_longopts[] = {
	{ "min-block", required_argument, NULL, 'm' },
	{ "max-block", required_argument, NULL, 'M' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "include-preempt", no_argument, NULL, OPT_INCLUDE_PREEMPT },
	LT_WAKER_LONGOPTS(OPT_WAKERS),
	{ NULL, 0, NULL, 0 },
};

static int offcpu_parse(void *topts, int key, const char *arg)
{
	struct offcpu_opts *o = topts;

	switch (key) {
	case 'm': return lt_parse_u64(arg, "--min-block", 0, ~0ULL / 1000, &o->min_block_us);
	case 'M': return lt_parse_u64(arg, "--max-block", 1, ~0ULL / 1000, &o->max_block_us);
	case OPT_STATE:
		if (!strcmp(arg, "S"))
			o->classes = OFFCPU_WANT(OFFCPU_SLEEP);
		else if (!strcmp(arg, "D"))
			o->classes = OFFCPU_WANT(OFFCPU_BLOCKED);
		else if (!strcmp(arg, "all"))
			o->classes = OFFCPU_WANT(OFFCPU_SLEEP) | OFFCPU_WANT(OFFCPU_BLOCKED);
		else {
			lt_err("invalid --state '%s': expected S, D or all", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_INCLUDE_PREEMPT: o->include_preempt = true; return 0;
	}
	if (key >= OPT_WAKERS && key <= OPT_WAKERS + 2)
		return lt_waker_parse(&o->wakers, key - OPT_WAKERS, arg);
	return -EINVAL;
}

static int offcpu_check(void *topts, const struct lt_common *c)
{
	struct offcpu_opts *o = topts;

	(void)c;
	if (o->max_block_us && o->min_block_us > o->max_block_us) {
		lt_err("--min-block %llu is above --max-block %llu", o->min_block_us,
		       o->max_block_us);
		return -EINVAL;
	}
	return 0;
}

const struct lt_cli_tool offcpu_cli = {
	.name = "offcpu",
	.summary = "Off-CPU time by stack: where threads wait, and for how long",
	.synopsis = "[-p PID | -t TID | --comm NAME | --cgroup PATH] [-d SECONDS] [options]",
	.help = "  -m, --min-block USEC        ignore blocks shorter than USEC (default 1)\n"
		"  -M, --max-block USEC        ignore blocks longer than USEC (default: none)\n"
		"      --state S|D|all         S: interruptible sleep, D: uninterruptible,\n"
		"                              all: both (default)\n"
		"      --include-preempt       also time preempted, still-runnable threads\n"
		"                              (run-queue wait), under a [preempted] frame\n" LT_WAKER_HELP,
	.examples = "  latprof offcpu -p 4242 -d 10 -o offcpu.folded\n"
		    "  latprof offcpu --state D -m 1000 -d 30      # disk/lock waits over 1 ms\n"
		    "  latprof offcpu --wakers -p 4242 -d 10       # and who woke each wait\n"
		    "  flamegraph.pl --color=io --countname=us < offcpu.folded > offcpu.svg\n",
	.shortopts = "m:M:",
	.longopts = offcpu_longopts,
	.parse = offcpu_parse,
	.check = offcpu_check,
};

LT_SKEL_OPS(offcpu_bpf);

/* The sched_switch programs, in order of preference; LATPROF_ATTACH names one. */
static const struct lt_variant variants[] = {
	/* tp_btf: direct task_struct access, cheapest */
	{ "offcpu_switch_btf", "tp_btf", "tp_btf", 0 },
	/* the same without bpf_rdonly_cast (before 6.2) */
	{ "offcpu_switch_btf_pr", "tp_btf", "tp_btf (probe reads)", 0 },
	/* raw_tp: no BTF-typed tracepoints (before 5.5) */
	{ "offcpu_switch_raw", "raw_tp", "raw_tp", 0 },
	/* classic tracepoint: last resort */
	{ "offcpu_switch_tp", "tracepoint", "tracepoint", 0 },
};
/* --wakers keeps the waker in task storage: tp_btf only. */
static const struct lt_variant waker_variants[] = {
	{ "offcpu_switch_btf", "tp_btf", "tp_btf", 0 },
	{ "offcpu_switch_btf_pr", "tp_btf", "tp_btf (probe reads)", 0 },
};

static int offcpu_configure(void *tool, void *skel, const struct lt_variant *v)
{
	const struct offcpu_opts *o = &((struct offcpu_tool *)tool)->o;
	struct offcpu_bpf *sk = skel;
	struct bpf_program *const progs[] = { sk->progs.offcpu_switch_btf,
					      sk->progs.offcpu_switch_btf_pr,
					      sk->progs.offcpu_switch_raw,
					      sk->progs.offcpu_switch_tp };
	bool btf = !strncmp(v->name, "offcpu_switch_btf", 17);
	int err;

	/* Exactly one sched_switch program; the others (exec hook) always load. */
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i], !strcmp(bpf_program__name(progs[i]), v->name));
	sk->rodata->classes = o->classes | (o->include_preempt ? OFFCPU_WANT(OFFCPU_PREEMPT) : 0);
	sk->rodata->min_block_ns = o->min_block_us * 1000;
	sk->rodata->max_block_ns = o->max_block_us ? o->max_block_us * 1000 : ~0ULL;
	bpf_program__set_autoload(sk->progs.offcpu_waking_btf,
				  o->wakers.on && !strcmp(v->name, "offcpu_switch_btf"));
	bpf_program__set_autoload(sk->progs.offcpu_waking_btf_pr,
				  o->wakers.on && !strcmp(v->name, "offcpu_switch_btf_pr"));
	if ((err = lt_wakers_configure(sk->obj, &o->wakers)))
		return err;
	/* tp_btf keeps starts in task storage; the others in the pid hash. */
	if (!btf)
		bpf_map__set_autocreate(sk->maps.start_task, false);
	return btf ? lt_map_resize(sk->obj, "start", 1) : 0;
}

static int offcpu_attach(void *tool, char *how, size_t sz)
{
	const struct lt_tool_core *core = tool;
	const char *prog = core->variant->name;

	snprintf(how, sz, "sched_switch: %s; user stacks: %s%s", core->variant->alt,
		 lt_ustack_desc(core),
		 !strcmp(prog, "offcpu_switch_btf")    ? "; stack cache: direct loads" :
		 !strcmp(prog, "offcpu_switch_btf_pr") ? "; stack cache: probe reads" :
							 "");
	return 0;
}

static const char *offcpu_aux_frame(void *tool, uint64_t aux)
{
	(void)tool;
	return lt_waker_aux_decode((uint32_t)aux).own == OFFCPU_PREEMPT ? "[preempted]" : NULL;
}

static const struct lt_mode offcpu_modes[] = {
	{ .unit = "us",
	  .what = "off-CPU time",
	  .aux_frame = offcpu_aux_frame,
	  LT_VARIANTS(variants) },
	{ .unit = "us",
	  .what = "off-CPU time by waker",
	  .aux_frame = offcpu_aux_frame,
	  .aux_second = lt_waker_second,
	  .foreign_stacks = true,
	  LT_VARIANTS(waker_variants) },
};

static unsigned int offcpu_mode(const void *opts)
{
	return ((const struct offcpu_opts *)opts)->wakers.on;
}

static void offcpu_defaults(void *opts)
{
	struct offcpu_opts *o = opts;

	o->min_block_us = 1;
	o->classes = OFFCPU_WANT(OFFCPU_SLEEP) | OFFCPU_WANT(OFFCPU_BLOCKED);
}

const struct lt_tool lt_offcpu = {
	.cli = &offcpu_cli,
	.load = { "sched_switch", &offcpu_bpf_ops, offcpu_configure },
	.modes = offcpu_modes,
	.mode = offcpu_mode,
	.attach = offcpu_attach,
	.size = sizeof(struct offcpu_tool),
	.opts = offsetof(struct offcpu_tool, o),
	.defaults = offcpu_defaults,
};
