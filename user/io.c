// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof io: block I/O latency per disk and operation, split into time
 * queued and time in the device; with --stacks, charged to the stack that
 * submitted it. A thin driver over the core, as offcpu is.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "bpf_util.h"
#include "err.h"
#include "io.h"
#include "stack_agg.h"
#include "unwind.h"
#include "io.skel.h"
#include "session.h"
#include "stacks.h"
#include "tools.h"

struct io_opts {
	const char *dev; /* --dev as given */
	uint32_t dev_id; /* IO_DEV of it, 0 for all */
	unsigned long long min_lat_us;
	bool stacks;
};

struct io_tool {
	struct io_opts o;
	const struct lt_common *c;
	struct io_bpf *skel;
	const char *flavour;
};

enum {
	OPT_DEV = LT_OPT_TOOL,
	OPT_STACKS,
	OPT_BLOCK,
};

static const struct option io_longopts[] = {
	{ "block", no_argument, NULL, OPT_BLOCK },
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "stacks", no_argument, NULL, OPT_STACKS },
	{ "min-lat", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 },
};

/* A disk by name (vda, /dev/vda) or MAJ:MIN, through /sys/block. 0 or -ENODEV (printed). */
static int resolve_dev(const char *arg, uint32_t *id)
{
	const char *name = strncmp(arg, "/dev/", 5) ? arg : arg + 5;
	unsigned int maj, min;
	char path[PATH_MAX], buf[64];
	FILE *f;
	int n = 0;

	if (sscanf(arg, "%u:%u%n", &maj, &min, &n) == 2 && !arg[n]) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", maj, min);
		if (access(path, F_OK) == 0) {
			*id = IO_DEV(maj, min);
			return 0;
		}
	} else if (!strchr(name, '/')) {
		snprintf(path, sizeof(path), "/sys/block/%s/dev", name);
		f = fopen(path, "r");
		if (f) {
			n = fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &maj, &min) == 2;
			fclose(f);
			if (n) {
				*id = IO_DEV(maj, min);
				return 0;
			}
		}
	}
	lt_err("invalid --dev '%s': no such disk in /sys/block (a whole disk such as vda, or "
	       "MAJ:MIN)",
	       arg);
	return -ENODEV;
}

static int io_parse(void *topts, int key, const char *arg)
{
	struct io_opts *o = topts;

	switch (key) {
	case OPT_BLOCK: return 0;
	case OPT_DEV: o->dev = arg; return 0;
	case OPT_STACKS: o->stacks = true; return 0;
	case 'm': return lt_parse_u64(arg, "--min-lat", 0, ~0ULL / 1000, &o->min_lat_us);
	}
	return -EINVAL;
}

static int io_check(void *topts, const struct lt_common *c)
{
	struct io_opts *o = topts;

	(void)c;
	return o->dev ? resolve_dev(o->dev, &o->dev_id) : 0;
}

const struct lt_cli_tool io_cli = {
	.name = "io",
	.summary = "Block I/O latency by disk and operation, queued and in the device, by stack",
	.synopsis = "[--block] [--dev DISK] [--stacks] [-p PID ...] [-d SECONDS] [options]",
	.help = "      --block                 block layer latency (the default)\n"
		"      --dev DISK              only this disk (vda, nvme0n1, or MAJ:MIN)\n"
		"      --stacks                charge each request to the task and user and\n"
		"                              kernel stacks that submitted it\n"
		"  -m, --min-lat USEC          only requests slower than USEC in the device\n",
	.examples =
		"  latprof io -d 10 -f hist                  # latency histograms per disk and op\n"
		"  latprof io --stacks -p 4242 -d 10 -f svg -o io.svg\n",
	.shortopts = "m:",
	.longopts = io_longopts,
	.parse = io_parse,
	.check = io_check,
};

static const char *const flavours[] = { "tp_btf", "raw_tp" };

/* Does this kernel's block_rq_issue take (q, rq), as before v5.11? */
static bool rq_issue_has_queue(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id;
	bool old = false;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_block_rq_issue", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, btf__type_by_id(btf, id)->type) : NULL;
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_func_proto(t))
		old = btf_vlen(t) == 3; /* (void *, q, rq) */
	btf__free(btf);
	return old;
}

static int try_load(struct io_tool *t, const char *flavour)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = lt_btf_custom_path());
	struct bpf_program *p;
	uint32_t rq_arg = rq_issue_has_queue() ? 1 : 0;
	uint8_t mode = 0;
	int err;

	t->skel = io_bpf__open_opts(&oo);
	if (!t->skel)
		return -errno;
	bpf_object__for_each_program (p, t->skel->obj) {
		const char *n = bpf_program__name(p);
		bool mine = strstr(n, !strcmp(flavour, "tp_btf") ? "_btf" : "_raw") != NULL;

		/* block_bio_queue is only needed to know who submitted. */
		if (strstr(n, "bio_queue") && !t->o.stacks &&
		    !!lt_target_is_system_wide(&t->c->target))
			mine = false;
		if (!strncmp(n, "io_", 3))
			bpf_program__set_autoload(p, mine);
	}
	t->skel->rodata->want_stacks = t->o.stacks;
	t->skel->rodata->want_ustack = !t->c->kernel_only;
	t->skel->rodata->want_kstack = !t->c->user_only;
	t->skel->rodata->filter_tasks = !lt_target_is_system_wide(&t->c->target);
	t->skel->rodata->filter_dev = t->o.dev_id;
	t->skel->rodata->min_lat_ns = t->o.min_lat_us * 1000;
	err = lt_rodata_set(t->skel->obj, "lt_ustack_mode", &mode, sizeof(mode));
	err = err ?: lt_rodata_set(t->skel->obj, "lt_rq_arg", &rq_arg, sizeof(rq_arg));
	err = err ?: lt_target_set_rodata(&t->c->target, t->skel->obj);
	err = err ?: lt_stacks_configure(t->skel->obj, &t->c->stacks);
	err = err ?: io_bpf__load(t->skel);
	if (err) {
		io_bpf__destroy(t->skel);
		t->skel = NULL;
	}
	return err;
}

static int io_load(void *tool, const struct lt_common *c)
{
	struct io_tool *t = tool;
	const char *env = getenv("LATPROF_ATTACH");
	int err = -ENOENT;

	t->c = c;
	for (size_t i = 0; i < sizeof(flavours) / sizeof(flavours[0]); i++) {
		if (env && *env && strcmp(env, flavours[i]))
			continue;
		err = try_load(t, flavours[i]);
		if (!err) {
			t->flavour = flavours[i];
			return 0;
		}
		lt_info("loading the block tracepoints as %s failed: %s", flavours[i],
			strerror(-err));
	}
	lt_err("cannot load the io BPF program: %s (run with -v for the verifier log)",
	       strerror(-err));
	return err;
}

static struct bpf_object *io_object(void *tool)
{
	return ((struct io_tool *)tool)->skel->obj;
}

static int io_attach(void *tool, char *how, size_t sz)
{
	struct io_tool *t = tool;
	int err = io_bpf__attach(t->skel);

	if (err) {
		lt_err("cannot attach to the block tracepoints (%s): %s", t->flavour,
		       strerror(-err));
		return err;
	}
	snprintf(how, sz, "block: %s%s", t->flavour, t->o.stacks ? "; stacks at submission" : "");
	lt_info("attached: %s", how);
	return 0;
}

static void io_destroy(void *tool)
{
	struct io_tool *t = tool;

	io_bpf__destroy(t->skel);
	t->skel = NULL;
}

/* The disk's name from /sys/dev/block/MAJ:MIN/uevent (DEVNAME=), cached. */
static const char *dev_name(uint32_t dev)
{
	static uint32_t last = ~0U;
	static char name[64];
	char path[96], line[128];
	FILE *f;

	if (dev == last)
		return name;
	last = dev;
	snprintf(name, sizeof(name), "%u:%u", IO_DEV_MAJOR(dev), IO_DEV_MINOR(dev));
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", IO_DEV_MAJOR(dev),
		 IO_DEV_MINOR(dev));
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(line + 8, "\n"),
				 line + 8);
			break;
		}
	if (f)
		fclose(f);
	return name;
}

/* "[vda write,sync queued]": the disk, operation, flags and phase of a sample. */
static const char *io_aux_frame(uint64_t aux)
{
	static const char *const ops[] = { "read",    "write",	      "flush",
					   "discard", "write-zeroes", "other" };
	static char buf[128];
	uint32_t a = (uint32_t)aux, fl = IO_AUX_FLAGS(a), op = IO_AUX_OP(a);

	snprintf(buf, sizeof(buf), "[%s %s%s%s%s%s %s]", dev_name(aux >> 32), ops[op < 6 ? op : 5],
		 fl & IO_F_SYNC ? ",sync" : "", fl & IO_F_META ? ",meta" : "",
		 fl & IO_F_FUA ? ",fua" : "", fl & IO_F_PREFLUSH ? ",preflush" : "",
		 IO_AUX_PHASE(a) == IO_PHASE_QUEUE ? "queued" : "in device");
	return buf;
}

static const struct lt_tool_ops io_ops = {
	.name = "io",
	.unit = "us",
	.what = "block I/O latency",
	.aux_frame = io_aux_frame,
	.load = io_load,
	.object = io_object,
	.attach = io_attach,
	.destroy = io_destroy,
};

int io_main(int argc, char **argv)
{
	struct io_tool t = { 0 };
	struct lt_common c;
	int err = lt_cli_parse(argc, argv, &io_cli, &c, &t.o);

	if (err)
		return err > 0 ? LT_EXIT_OK : LT_EXIT_USAGE;
	lt_set_verbose(c.verbose);
	/* Without --stacks there are no stacks to take or name. */
	if (!t.o.stacks) {
		c.kernel_only = true;
		c.user_only = false;
	}
	return lt_session_run(&io_ops, &t, &c);
}
